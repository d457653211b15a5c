"""Fixtures for write-back tests; the helpers and the fake Ory server live in ``writeback_fakes``."""

from __future__ import annotations

from writeback_fakes import client_for, docs, fake, original, schemas

__all__ = ["client_for", "docs", "fake", "original", "schemas"]
