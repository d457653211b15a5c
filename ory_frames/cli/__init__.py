"""`ory-frames …`: the command line, one module per command; ``main`` runs one, ``build_parser`` makes the parser."""

from __future__ import annotations

from ory_frames.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
