"""Suite-wide switches.

- The tests in ``drift_support.DRIFT_TESTS`` run twice in the same run: against plain sandboxes
  (``[plain]``) and against drift-mode ones (``[drift]``), through the module-scoped ``server_mode``
  fixture, which every test uses. Tests marked ``conformance`` (they pin Ory's exact wire shapes, which
  drift changes on purpose) run plain only; in ``[drift]`` tests the one ConversionWarning per new field
  or value a read gives is expected. A fixture above function scope that starts a server there must take
  ``server_mode``, or it would serve both modes from one server: one that starts it through
  ``drift_support`` fails here (one that calls ``ory_frames.sandbox`` itself must take it too).
- ``--drift`` runs every sandbox the tests start in drift mode (``drift_support``) instead, with tests
  marked ``conformance`` skipped and the same warnings expected.
- ``--server kratos`` points every sandbox-facing test at a real Ory Kratos (``kratos_support``,
  built by ``scripts/install-kratos.sh``) instead of the sandbox. Tests marked ``sandbox_only(reason)``
  need something only the sandbox has, and tests marked ``newer_kratos(reason)`` something Kratos added
  after the version we can build (external ids, test login flows): both are skipped there with their reason.
- Tests marked ``kratos`` need the Kratos binary in any run (the differential test). Without it they are
  skipped, except under CI (``CI=true``), where a missing binary is an error: CI installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import drift_support
import pytest
from drift_support import DRIFT_TESTS, ENV, SERVER_ENV, SERVERS, drift_run, server_kind

ROOT = Path(__file__).resolve().parent.parent
# Drift adds fields and values on purpose; each read warns once per new one (convert._unknown_fields).
DRIFT_WARNING = "ignore:ory_frames met an unknown:UserWarning"

# dlt (ory_frames.dlt) sends anonymous usage telemetry by default; a test run sends nothing out (dlt docs, "Telemetry").
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

# Markers that skip a test under --server kratos, each with the test's own reason after this prefix.
_KRATOS_SKIPS = {
    "sandbox_only": "sandbox only: ",
    "newer_kratos": "not in Kratos {} (the newest the Go module proxy serves; docs/how-to/real-kratos.md): ",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--drift",
        action="store_true",
        default=False,
        help=f"run every sandbox the tests start in drift mode (as {ENV}=1 does)",
    )
    parser.addoption(
        "--server",
        choices=SERVERS,
        default=None,
        help=f"the server the sandbox-facing tests talk to (as {SERVER_ENV}= does); kratos needs "
        "scripts/install-kratos.sh",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--drift"):
        os.environ[ENV] = "1"
    if config.getoption("--server"):
        os.environ[SERVER_ENV] = config.getoption("--server")
    if drift_run():
        config.addinivalue_line("filterwarnings", DRIFT_WARNING)


def _in_both_modes(definition: pytest.Item) -> bool:
    """Whether a test runs against plain and against drift-mode sandboxes in this run."""
    if drift_run() or server_kind() != "sandbox" or definition.get_closest_marker("conformance") is not None:
        return False
    path = definition.path.relative_to(ROOT).as_posix()
    return any(path == name or path.startswith(name + "/") for name in DRIFT_TESTS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_mode" in metafunc.fixturenames and _in_both_modes(metafunc.definition):
        metafunc.parametrize("server_mode", drift_support.MODES, indirect=True, scope="module")


@pytest.fixture(scope="session", autouse=True)
def seeded_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The folder of this run's seeded databases (drift_support.seeded_template), one for all xdist workers."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's own basetemp, whose popen-gwN folders are the workers'
    folder = base / "seeded-templates"
    folder.mkdir(exist_ok=True)
    drift_support.templates[:] = [folder]
    yield
    drift_support.templates.clear()


_PARAMETRIZED = [False]  # whether the current server_mode is one of two (the module runs in both modes)


@pytest.fixture(scope="module", autouse=True)
def server_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """The mode of the sandboxes this module's tests start: ``plain`` or ``drift`` (see the module docstring)."""
    name: str = getattr(request, "param", "drift" if drift_run() else "plain")
    _PARAMETRIZED[0] = hasattr(request, "param")
    with drift_support.mode(name):
        yield name
    _PARAMETRIZED[0] = False


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> object:
    before = drift_support.started[0]
    result = yield
    if (
        _PARAMETRIZED[0]
        and fixturedef.scope != "function"
        and drift_support.started[0] != before
        and "server_mode" not in fixturedef.argnames
    ):
        pytest.fail(
            f"fixture {fixturedef.argname!r} ({fixturedef.scope} scope) starts a server in a module that runs in "
            "both server modes: it must take the server_mode fixture, or [drift] tests would use a plain server",
            pytrace=False,
        )
    return result


# The folders whose modules take longest (pytest's --durations): run first, so that under pytest-xdist
# (--dist loadscope hands out modules in collection order) no worker is left with one of them at the end.
SLOW_FIRST = ("tests/kratos", "tests/reliability", "tests/copy", "tests/notebooks", "tests/browser", "tests/shards")


def _rank(item: pytest.Item) -> int:
    path = item.path.relative_to(ROOT).as_posix() if item.path.is_relative_to(ROOT) else ""
    return next((n for n, name in enumerate(SLOW_FIRST) if path.startswith(name + "/")), len(SLOW_FIRST))


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    if drift_run():
        lines.append("sandboxes: drift mode (conformance tests skipped)")
    if server_kind() == "kratos":
        import kratos_support

        state = "installed" if kratos_support.kratos_binary() else "MISSING"
        lines.append(f"server: real Ory Kratos {kratos_support.kratos_version()} ({state})")
    return lines


@pytest.hookimpl(trylast=True)  # after pytest's own grouping of parametrized tests, which this order keeps
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import kratos_support

    items[:] = sorted(items, key=_rank)  # slow folders first (SLOW_FIRST); stable, so each module stays in order

    if drift_run():
        skip = pytest.mark.skip(reason="pins Ory's exact wire shapes, which drift mode changes on purpose")
        for item in items:
            if item.get_closest_marker("conformance") is not None:
                item.add_marker(skip)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("server_mode") == "drift":
            item.add_marker(pytest.mark.filterwarnings(DRIFT_WARNING))
    if server_kind() == "kratos":
        for item in items:
            for name, prefix in _KRATOS_SKIPS.items():
                marker = item.get_closest_marker(name)
                if marker is not None:
                    reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
                    if not reason:
                        raise pytest.UsageError(f"{item.nodeid}: {name} needs a reason")
                    item.add_marker(pytest.mark.skip(reason=prefix.format(kratos_support.kratos_version()) + reason))
    if kratos_support.kratos_binary() is None:
        if server_kind() == "kratos":
            raise pytest.UsageError("--server kratos: no Kratos binary; run `bash scripts/install-kratos.sh`")
        needs = [item for item in items if item.get_closest_marker("kratos") is not None]
        if needs and os.environ.get("CI") == "true":
            raise pytest.UsageError("CI: no Kratos binary for the tests that need one; run scripts/install-kratos.sh")
        skip = pytest.mark.skip(reason="no Kratos binary: run `bash scripts/install-kratos.sh` (needs Go)")
        for item in needs:
            item.add_marker(skip)
