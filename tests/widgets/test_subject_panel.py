"""SubjectRequestPanel against a seeded sandbox: find, show the report, erase after a confirm, errors inline."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from ory_frames import Client, NotFoundError
from ory_frames.widgets import SubjectRequestPanel

if TYPE_CHECKING:
    from .conftest import FindIdentity, MakeRecordingClient


def _with_sessions(client: Client, first_identity: FindIdentity, skip: set[str]) -> dict[str, Any]:
    return first_identity(
        client,
        lambda doc: (
            doc["schema_id"] == "default"
            and doc["id"] not in skip
            and len(client.list_identity_sessions(doc["id"])) >= 1
        ),
    )


_USED: set[str] = set()


@pytest.fixture
def person(client: Client, first_identity: FindIdentity) -> dict[str, Any]:
    """A seeded identity with an email and sessions that no other test of this module uses."""
    doc = _with_sessions(client, first_identity, _USED)
    _USED.add(doc["id"])
    return doc


def test_find_by_email_shows_the_report(client: Client, person: dict[str, Any]) -> None:
    panel = SubjectRequestPanel(client)
    assert panel.erase_button.disabled
    panel.query.value = person["traits"]["email"]
    panel.find_button.click()
    assert panel.report is not None and panel.report.identity_id == person["id"]
    assert person["id"] in panel.found.value and "credential identifier" not in panel.status.value
    assert "ory-subject-report" in panel.report_view.value
    assert "Sessions (" in panel.report_view.value
    assert not panel.erase_button.disabled and panel.result is None


def test_erase_asks_first_then_erases_what_is_shown(
    make_recording_client: MakeRecordingClient, person: dict[str, Any]
) -> None:
    client, transport = make_recording_client(None)
    sessions = [s["id"] for s in client.list_identity_sessions(person["id"])]
    panel = SubjectRequestPanel(client, identity=person["traits"]["email"])
    assert panel.report is not None
    panel.erase_button.click()
    assert panel.confirm_bar.layout.display is None
    assert person["id"] in panel.confirm_text.value and f"{len(sessions)} session(s)" in panel.confirm_text.value
    assert [m for m, _path in transport.requests if m != "GET"] == []  # nothing deleted before the confirm
    assert client.get_identity(person["id"]).id == person["id"]

    panel.confirm_button.click()
    assert panel.result is not None
    assert (panel.result.identity_id, panel.result.status) == (person["id"], "erased")
    assert panel.result.sessions_deleted == len(sessions)
    assert "ory-erased" in panel.status.value and person["traits"]["email"] not in panel.status.value
    assert panel.report is None and panel.report_view.value == "" and panel.erase_button.disabled
    with pytest.raises(NotFoundError):
        client.get_identity(person["id"])
    for session_id in sessions:
        with pytest.raises(NotFoundError):
            client.get_session(session_id)
    assert panel.confirm_bar.layout.display == "none"


def test_cancel_and_editing_the_search_erase_nothing(
    make_recording_client: MakeRecordingClient, person: dict[str, Any]
) -> None:
    client, transport = make_recording_client(None)
    panel = SubjectRequestPanel(client)
    panel.query.value = person["id"]
    panel.find_button.click()
    panel.erase_button.click()
    panel.cancel_button.click()
    panel.confirm_button.click()  # nothing is pending any more
    assert panel.result is None and panel.confirm_bar.layout.display == "none"

    panel.erase_button.click()
    panel.query.value = "someone-else@example.org"  # the report on screen no longer matches the search
    assert panel.report is None and panel.erase_button.disabled
    panel.confirm_button.click()
    assert panel.result is None
    assert [m for m, _path in transport.requests if m != "GET"] == []
    assert client.get_identity(person["id"]).id == person["id"]


def test_nobody_found_is_an_inline_error(client: Client) -> None:
    panel = SubjectRequestPanel(client)
    panel.query.value = f"nobody-{uuid.uuid4().hex[:6]}@example.org"
    panel.find_button.click()
    assert "ory-error" in panel.status.value and "no identity matches" in panel.status.value
    assert "Ory answered" not in panel.status.value
    assert panel.report is None and panel.erase_button.disabled


def test_an_empty_search_is_refused_before_any_request(make_recording_client: MakeRecordingClient) -> None:
    client, transport = make_recording_client(None)
    panel = SubjectRequestPanel(client)
    panel.query.value = "   "
    panel.find_button.click()
    assert "Not sent" in panel.status.value and "identity is empty" in panel.status.value
    assert transport.requests == []


@pytest.mark.newer_kratos("external_id came later")
def test_ambiguous_search_lists_the_candidates(client: Client) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}"
    first = client.create_identity({"schema_id": "username", "traits": {"username": shared}}).id
    second = client.create_identity(
        {"schema_id": "default", "traits": {"email": f"{shared}@example.org"}, "external_id": shared}
    ).id
    panel = SubjectRequestPanel(client)
    panel.query.value = shared
    panel.find_button.click()
    assert first in panel.status.value and second in panel.status.value
    assert panel.erase_button.disabled
    panel.find_by.value = "external_id"
    panel.find_button.click()
    assert panel.report is not None and panel.report.identity_id == second
