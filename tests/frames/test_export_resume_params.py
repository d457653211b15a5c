"""A resume state records the page size an export sends, so ``page_size=None`` resumes a state written with 500.

``None`` asks for the endpoint's maximum (500 identities, 1000 sessions; wire notes §1), which is what an explicit
500 (or 1000) sends too: the same requests, the same export. A page size that sends other requests is still
another export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from ory_frames import Client, InvalidInputError, export_identities, export_sessions
from ory_frames.export._files import STATE_SUFFIX


class CrashOnList(httpx.BaseTransport):
    """Raises on the first request to ``path`` (after the schemas are fetched), passing everything else through."""

    def __init__(self, path: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.path = path

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(self.path):
            raise RuntimeError("simulated crash")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _interrupted(sandbox_url: str, export: Any, path: Path, list_path: str, **kwargs: Any) -> dict[str, Any]:
    broken = Client(sandbox_url, transport=CrashOnList(list_path), retries=0)
    with broken, pytest.raises(RuntimeError, match="simulated crash"):
        export(broken, path, **kwargs)
    state: dict[str, Any] = json.loads(Path(str(path) + STATE_SUFFIX).read_text())
    return state


def test_identities_state_of_page_size_500_resumes_with_none(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    state = _interrupted(sandbox_url, export_identities, path, "/admin/identities", page_size=500)
    assert state["params"]["page_size"] == 500
    result = export_identities(client, path, resume=True)
    assert result.rows == pq.read_table(path).num_rows > 0


def test_a_state_of_none_resumes_with_a_larger_size(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    state = _interrupted(sandbox_url, export_identities, path, "/admin/identities")
    assert state["params"]["page_size"] == 500  # what a walk with None sends
    assert export_identities(client, path, page_size=900, resume=True).rows > 0  # clamped to 500 before sending


def test_sessions_state_of_page_size_1000_resumes_with_none(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "sessions.parquet"
    state = _interrupted(sandbox_url, export_sessions, path, "/admin/sessions", page_size=1000)
    assert state["params"]["page_size"] == 1000
    assert export_sessions(client, path, resume=True).rows == pq.read_table(path).num_rows


def test_a_page_size_that_sends_other_requests_is_another_export(sandbox_url: str, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    _interrupted(sandbox_url, export_identities, path, "/admin/identities", page_size=400)
    with pytest.raises(InvalidInputError, match="different export"):
        export_identities(client, path, resume=True)
    with pytest.raises(InvalidInputError, match="different export"):
        export_identities(client, path, page_size=500, resume=True)
    assert export_identities(client, path, page_size=400, resume=True).rows > 0
