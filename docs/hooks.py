"""MkDocs hooks: the API and CLI reference pages, generated at build time from the code.

- API reference: one page per public module (``ory_frames``, ``ory_frames.sandbox``, ``ory_frames.widgets``,
  ``ory_frames.subject``, and ``ory_frames.dlt`` where it exists), a section per name of its ``__all__``,
  rendered by mkdocstrings. A name is rendered by its public path (``ory_frames.Client``) when griffe resolves
  it through the ``TYPE_CHECKING`` imports of ``ory_frames/__init__.py``, else from the module that defines
  it (public names show ``ory_frames`` as their ``__module__``; griffe reads source). A public name, or a
  public method of a public class (inherited ones included), without a docstring is a warning, which
  ``mkdocs build --strict`` turns into a failed build.
- Docstrings name code with Sphinx roles (``:func:`read_identities```), which Markdown does not know:
  ``SphinxRoles``, a griffe extension (``mkdocs.yml``), shows them as code.
- CLI reference: one page per ``ory-frames`` command, the ``--help`` of each parser of
  ``ory_frames.cli.build_parser()`` (and of its sub-commands, for ``subject``).

The nav sections titled ``API reference`` and ``CLI reference`` in ``mkdocs.yml`` are filled here, so a new
public name or command appears without editing ``mkdocs.yml``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
from types import ModuleType
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.ory_frames")

# The public modules, each a page of the API reference: module name -> (page path, title).
API_MODULES: dict[str, tuple[str, str]] = {
    "ory_frames": ("reference/api/ory_frames.md", "ory_frames"),
    "ory_frames.sandbox": ("reference/api/sandbox.md", "ory_frames.sandbox"),
    "ory_frames.widgets": ("reference/api/widgets.md", "ory_frames.widgets"),
    "ory_frames.subject": ("reference/api/subject.md", "ory_frames.subject"),
    "ory_frames.dlt": ("reference/api/dlt.md", "ory_frames.dlt"),
}
# Public modules that a branch may not have yet; each is documented once it exists (and checked like the rest).
OPTIONAL_MODULES = frozenset({"ory_frames.dlt"})
CLI_DIR = "reference/cli"
HELP_WIDTH = "100"  # argparse wraps at $COLUMNS; a fixed width keeps the pages the same on every machine


def _home(module: ModuleType, name: str) -> str:
    """The dotted path where ``module.name`` is defined, for griffe (which reads source, not ``__module__``)."""
    obj = getattr(module, name)
    if inspect.isclass(obj):
        funcs = [v for v in vars(obj).values() if inspect.isfunction(v)]
        where = inspect.unwrap(funcs[0]).__globals__["__name__"] if funcs else None
        if where is None:
            source = inspect.getsourcefile(obj)
            where = next(
                (m.__name__ for m in list(sys.modules.values()) if getattr(m, "__file__", None) == source), None
            )
        if where is not None:
            return f"{where}.{obj.__qualname__}"
    if inspect.isfunction(obj):
        return f"{inspect.unwrap(obj).__globals__['__name__']}.{obj.__qualname__}"
    return f"{module.__name__}.{name}"


_ROLE = re.compile(r":(?:func|class|mod|attr|meth|data|exc|obj):`~?([^`]+)`")


class SphinxRoles(griffe.Extension):
    """Show ``:func:`name``` and the other Sphinx roles of the docstrings as ``name`` in code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the roles of each object's docstring as griffe loads it."""
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(r"`\1`", obj.docstring.value)


def _undocumented(path: str) -> list[str]:
    """The object at ``path`` and its public methods and properties, where griffe finds no docstring.

    Griffe is what mkdocstrings renders from, so it also sees attribute docstrings (a string after an
    assignment, as for a ``Literal`` alias), which the running object cannot carry.
    """
    package = _griffe_package()
    obj = package[path.removeprefix(f"{package.name}.")]
    missing = [] if obj.docstring is not None and obj.docstring.value.strip() else [path]
    if obj.is_class and not any(str(base).endswith(("Error", "Exception", "Warning")) for base in obj.bases):
        for name, member in obj.all_members.items():  # inherited ones too (Plan's come from PlanEngine)
            if name.startswith("_") or not (member.is_function or member.is_attribute):
                continue
            if member.is_function and not (member.docstring and member.docstring.value.strip()):
                missing.append(f"{path}.{name}")
    return missing


def _resolves(path: str) -> bool:
    """Whether griffe finds ``path`` (``ory_frames.Client`` through the ``TYPE_CHECKING`` imports of
    ``ory_frames/__init__.py``); the page then names it as users import it, and links to it work by that name."""
    package = _griffe_package()
    try:
        obj = package[path.removeprefix(f"{package.name}.")]
        return bool(obj.final_target if obj.is_alias else obj)
    except Exception:  # griffe's alias resolution errors, or KeyError: render from where it is defined
        return False


_GRIFFE: list[Any] = []


def _griffe_package() -> Any:
    """``ory_frames`` as griffe loads it (once per build)."""
    if not _GRIFFE:
        import griffe

        _GRIFFE.append(griffe.load("ory_frames", docstring_parser="numpy"))
    return _GRIFFE[0]


def api_page(module_name: str) -> str:
    """The markdown of one module's page: its docstring, then a mkdocstrings block per public name."""
    module = importlib.import_module(module_name)
    names: list[str] = list(module.__all__)
    title = API_MODULES[module_name][1]
    parts = [
        f"# `{title}`\n",
        f"::: {module_name}\n    options:\n      members: false\n      show_root_heading: false\n",
    ]
    for name in names:
        public, home = f"{module_name}.{name}", _home(module, name)
        for missing in _undocumented(home):
            log.warning("public name without a docstring: %s (shown as %s)", missing, public)
        parts.append(
            f"::: {public if _resolves(public) else home}\n    options:\n      show_root_heading: true\n"
            f"      show_root_full_path: false\n      heading_level: 2\n      toc_label: {name}\n"
        )
    return "\n".join(parts)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def cli_pages() -> dict[str, tuple[str, str]]:
    """Page path -> (title, markdown): an index with ``ory-frames --help``, then a page per command."""
    from ory_frames.cli import build_parser

    os.environ["COLUMNS"] = HELP_WIDTH
    parser = build_parser()
    parser.prog = "ory-frames"
    commands = _subparsers(parser)
    links = "\n".join(f"- [`ory-frames {name}`]({name}.md)" for name in commands)
    pages = {
        f"{CLI_DIR}/index.md": (
            "ory-frames",
            "# `ory-frames`\n\nGenerated from the argument parsers (`ory_frames.cli.build_parser()`); "
            "`ory-frames COMMAND --help` prints the same.\n\n"
            f"```text\n{parser.format_help()}```\n\n{links}\n",
        )
    }
    for name, sub in commands.items():
        text = f"# `ory-frames {name}`\n\n```text\n{sub.format_help()}```\n"
        for action, subsub in _subparsers(sub).items():
            text += f"\n## `ory-frames {name} {action}`\n\n```text\n{subsub.format_help()}```\n"
        pages[f"{CLI_DIR}/{name}.md"] = (f"ory-frames {name}", text)
    return pages


def _present(module: str) -> bool:
    return module not in OPTIONAL_MODULES or importlib.util.find_spec(module) is not None


def _generated() -> dict[str, tuple[str, str]]:
    pages = {path: (title, api_page(module)) for module, (path, title) in API_MODULES.items() if _present(module)}
    pages.update(cli_pages())
    return pages


_PAGES: dict[str, tuple[str, str]] = {}


def on_config(config: MkDocsConfig, **kwargs: Any) -> MkDocsConfig:
    """Generate the pages and fill the ``API reference`` and ``CLI reference`` sections of the nav."""
    _PAGES.clear()
    _GRIFFE.clear()
    _PAGES.update(_generated())
    api = [{title: path} for path, (title, _) in _PAGES.items() if path.startswith("reference/api/")]
    cli = [{title: path} for path, (title, _) in _PAGES.items() if path.startswith(f"{CLI_DIR}/")]

    def fill(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, dict):
                for key, value in entry.items():
                    if key == "API reference":
                        entry[key] = api
                    elif key == "CLI reference":
                        entry[key] = cli
                    elif isinstance(value, list):
                        fill(value)

    fill(config.nav or [])
    return config


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    """Add the generated pages to the build (they exist only in memory)."""
    for path, (_, text) in _PAGES.items():
        files.append(File.generated(config, path, content=text))
    return files
