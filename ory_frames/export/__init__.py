"""Stream identities or sessions to Parquet (one file or a partitioned dataset), CSV or JSONL, resumably."""

from __future__ import annotations

from ory_frames.export._files import ExportFormat, output_format
from ory_frames.export._run import ExportResult, export_identities, export_sessions

__all__ = ["ExportFormat", "ExportResult", "export_identities", "export_sessions", "output_format"]
