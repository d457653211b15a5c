"""Suite-wide switches.

- ``--drift`` runs every sandbox the tests start in drift mode (``drift_support``). Under drift, tests
  marked ``conformance`` (they pin Ory's exact wire shapes, which drift changes on purpose) are skipped,
  and the one ConversionWarning per new field or value a read then gives is expected.
- ``--server kratos`` points every sandbox-facing test at a real Ory Kratos (``kratos_support``,
  built by ``scripts/install-kratos.sh``) instead of the sandbox. Tests marked ``sandbox_only(reason)``
  need something only the sandbox has, and tests marked ``newer_kratos(reason)`` something Kratos added
  after the version we can build (external ids, test login flows): both are skipped there with their reason.
- Tests marked ``kratos`` need the Kratos binary in any run (the differential test). Without it they are
  skipped, except under CI (``CI=true``), where a missing binary is an error: CI installs it.
"""

from __future__ import annotations

import os

import pytest
from drift_support import ENV, SERVER_ENV, SERVERS, drift_enabled, server_kind

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
    if drift_enabled():
        # Drift adds fields and values on purpose; each read warns once per new one (convert._unknown_fields).
        config.addinivalue_line("filterwarnings", "ignore:ory_frames met an unknown:UserWarning")


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    if drift_enabled():
        lines.append("sandboxes: drift mode (conformance tests skipped)")
    if server_kind() == "kratos":
        import kratos_support

        state = "installed" if kratos_support.kratos_binary() else "MISSING"
        lines.append(f"server: real Ory Kratos {kratos_support.kratos_version()} ({state})")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import kratos_support

    if drift_enabled():
        skip = pytest.mark.skip(reason="pins Ory's exact wire shapes, which drift mode changes on purpose")
        for item in items:
            if item.get_closest_marker("conformance") is not None:
                item.add_marker(skip)
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
