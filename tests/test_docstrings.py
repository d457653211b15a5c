"""The examples in the public API's docstrings run, against a seeded sandbox, and print what they say.

Collected: the docstrings of ``ory_frames``, of every name in ``ory_frames.__all__``,
``ory_frames.dlt.__all__``, ``ory_frames.sandbox.__all__`` and ``ory_frames.widgets.__all__``, and of
their methods. Each example runs with its defining module's globals plus ``client``, a Client bound to a
sandbox seeded with ``SEEDED`` identities, in a fresh temporary working directory (examples may write files).
A docstring whose every example is marked ``# doctest: +SKIP`` (it needs a real Ory project) is not
collected: it could not fail.
"""

from __future__ import annotations

import doctest
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import drift_support
import pytest

import ory_frames
import ory_frames.dlt
import ory_frames.sandbox
import ory_frames.widgets
from ory_frames import Client

SEEDED = 120
PUBLIC_MODULES: tuple[ModuleType, ...] = (ory_frames, ory_frames.dlt, ory_frames.sandbox, ory_frames.widgets)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _home(obj: Any) -> ModuleType | None:
    """The module whose source defines ``obj`` (a public class's ``__module__`` says "ory_frames")."""
    if inspect.isclass(obj):
        obj = next((v for v in vars(obj).values() if inspect.isfunction(v)), None)
    if not inspect.isfunction(obj):
        return None
    return sys.modules.get(inspect.unwrap(obj).__globals__["__name__"])


def _runnable(test: doctest.DocTest) -> bool:
    return any(not ex.options.get(doctest.SKIP, False) for ex in test.examples)


def public_doctests() -> list[doctest.DocTest]:
    """Every docstring example of the public surface, one DocTest per docstring, by name."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    found: dict[str, doctest.DocTest] = {}
    for module in PUBLIC_MODULES:
        for test in finder.find(module, module.__name__, module=module):
            if test.name == module.__name__:  # the module's own docstring; its objects come below
                found[test.name] = test
        for name in module.__all__:
            obj = getattr(module, name)
            home = _home(obj)
            for test in finder.find(obj, f"{module.__name__}.{name}", module=home or False):
                found.setdefault(test.name, test)
    return [found[name] for name in sorted(found)]


DOCTESTS = public_doctests()
RUNNABLE = [t for t in DOCTESTS if _runnable(t)]


@pytest.fixture(scope="module")
def seeded_client() -> Iterator[Client]:
    with drift_support.running(seed_identities=SEEDED) as url, Client(url) as client:
        yield client


@pytest.mark.parametrize("test", RUNNABLE, ids=[t.name for t in RUNNABLE])
def test_docstring_example(
    test: doctest.DocTest, seeded_client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    test.globs = {**test.globs, "client": seeded_client}
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.attempted > 0
    assert result.failed == 0, "".join(report)


def test_the_public_surface_has_runnable_examples() -> None:
    # The collection itself: a finder that silently found nothing would make every example above vanish.
    names = {t.name for t in RUNNABLE}
    assert {"ory_frames.read_identities", "ory_frames.read_sessions", "ory_frames.sandbox.running"} <= names
