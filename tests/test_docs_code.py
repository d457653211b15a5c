"""Every code block of the README and of the documentation site (``docs/**/*.md``) runs, against the sandbox.

A page's blocks run in order, one test each, sharing one namespace (a later block may use what an earlier
one read), in a working directory of the page's own (blocks write files). ``python`` blocks are executed;
``bash`` blocks run each ``ory-frames`` line through ``ory_frames.cli.main`` and require exit status 0.
While they run, ``ORY_SDK_URL`` names a sandbox seeded with ``SEEDED`` identities (``seed=0``), so
``Client()`` and the command line find a project.

A block that cannot run here says why in its title (``python title="needs a project"``); it is reported as
a skipped test with that reason, never left out. The titles allowed are ``NOT_RUN``'s; a title
``requires NAME`` runs the block when ``NAME`` (a module, or a module's attribute) can be imported, and
skips it otherwise. ``text`` blocks are output and diagrams, not code. Any other block (no language, or
one not listed here) fails: a new kind of block needs a decision here first.
"""

from __future__ import annotations

import importlib
import re
import shlex
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ory_frames import sandbox
from ory_frames.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
SEEDED = 200
RUN = ("python", "bash")
NOT_CODE = ("text",)
# Why a block is not run, by its title; each such block is a skipped test with this reason.
NOT_RUN: dict[str, str] = {
    "needs a project": "needs a real Ory project (ORY_SDK_URL / ORY_API_KEY)",
    "installs": "installs packages",
    "from a clone of the repository": "a make target of the repository (make test runs what it checks)",
    "builds Kratos: needs Go and a clone": "builds Kratos (make kratos); make test runs the Kratos pass",
    "runs a server until stopped": "starts a server in the foreground until Ctrl-C",
    "signature": "a signature or an internal contract, not an example",
}
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*(?:title=\"(?P<title>[^\"]*)\")?\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its page (relative to the repository), first line, language, title and code."""

    page: str
    line: int
    lang: str
    title: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """The README and every page of the site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of one markdown file, in order."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent = len(match["indent"])
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:])
            i += 1
        found.append(
            Block(str(path.relative_to(ROOT)), start + 1, match["lang"], match["title"] or "", "\n".join(body) + "\n")
        )
        i += 1
    return found


ALL = [b for p in pages() for b in blocks(p)]
CODE = [b for b in ALL if b.lang not in NOT_CODE]


def _available(name: str) -> bool:
    """Whether ``name`` (a module, or ``module.attribute``) can be imported."""
    try:
        importlib.import_module(name)
        return True
    except ImportError:
        module, _, attr = name.rpartition(".")
        try:
            return bool(module) and hasattr(importlib.import_module(module), attr)
        except ImportError:
            return False


def test_every_block_is_run_or_says_why() -> None:
    """A block runs, or its title names why not; a block of any other language is a decision to make first."""
    assert len(CODE) > 30
    unknown = [
        b.id
        for b in CODE
        if b.lang not in RUN or not (b.title == "" or b.title in NOT_RUN or b.title.startswith("requires "))
    ]
    assert not unknown, f"blocks with no language, another language or an unknown title: {unknown}"


@pytest.fixture(scope="module")
def project_url() -> Iterator[str]:
    """The sandbox that ORY_SDK_URL names while the blocks run."""
    with sandbox.running(seed_identities=SEEDED, seed=0) as url:
        yield url


_NAMESPACES: dict[str, dict[str, Any]] = {}
_DIRS: dict[str, Path] = {}


def _run_bash(block: Block) -> None:
    for number, line in enumerate(block.code.splitlines()):
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        assert argv[0] == "ory-frames", f"{block.id}+{number + 1}: only ory-frames commands run here: {line!r}"
        out = StringIO()
        with redirect_stdout(out):
            code = cli_main(argv[1:])
        assert code == 0, f"{block.id}+{number + 1}: {line!r} exited {code}\n{out.getvalue()}"


@pytest.mark.parametrize("block", CODE, ids=[b.id for b in CODE])
def test_code_block(
    block: Block, project_url: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    if block.title in NOT_RUN:
        pytest.skip(f"{block.id}: not run: {NOT_RUN[block.title]}")
    if block.title.startswith("requires "):
        needed = block.title.removeprefix("requires ")
        if not _available(needed):
            pytest.skip(f"{block.id}: {needed} is not importable")
    workdir = _DIRS.setdefault(block.page, tmp_path_factory.mktemp(re.sub(r"\W+", "-", block.page)))
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ORY_SDK_URL", project_url)
    monkeypatch.delenv("ORY_API_KEY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if block.lang == "bash":
        _run_bash(block)
        return
    namespace = _NAMESPACES.setdefault(block.page, {"__name__": f"docs:{block.page}"})
    with redirect_stdout(StringIO()):
        exec(compile(block.code, block.id, "exec"), namespace)
