"""SessionsPanel against the sandbox: the table, disable and extend with confirmation, log out everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ory_frames import Client
from ory_frames.widgets import SessionsPanel

if TYPE_CHECKING:
    from .conftest import FindIdentity


def _sessions(client: Client, identity_id: str) -> dict[str, dict[str, Any]]:
    return {str(s["id"]): dict(s) for s in client.list_identity_sessions(identity_id)}


def _with_sessions(client: Client, first_identity: FindIdentity, at_least: int) -> str:
    def fits(identity: dict[str, Any]) -> bool:
        active = [s for s in client.list_identity_sessions(identity["id"]) if s.get("active")]
        return len(active) >= at_least

    return str(first_identity(client, fits)["id"])


def test_table_lists_every_session(client: Client, first_identity: FindIdentity) -> None:
    identity_id = _with_sessions(client, first_identity, 1)
    panel = SessionsPanel(client, identity_id)
    server = _sessions(client, identity_id)
    assert set(panel.checkboxes) == set(server)
    assert len(panel.table.children) == 7 * (len(server) + 1)  # header + one row per session
    text = "".join(getattr(c, "value", "") for c in panel.table.children if not hasattr(c, "indent"))
    for session in server.values():
        assert str(session["authenticator_assurance_level"]) in text
        for device in session.get("devices") or []:
            if device.get("ip_address"):
                assert device["ip_address"] in text


def test_disable_asks_first_then_disables_the_selected(client: Client, first_identity: FindIdentity) -> None:
    identity_id = _with_sessions(client, first_identity, 2)
    panel = SessionsPanel(client, identity_id)
    active = [sid for sid, s in _sessions(client, identity_id).items() if s["active"]]
    target, other = active[0], active[1]
    panel.select([target])
    assert panel.selected_ids == [target]

    panel.disable_button.click()
    assert panel.confirm_bar.layout.display is None and "Disable 1 session?" in panel.confirm_text.value
    assert _sessions(client, identity_id)[target]["active"] is True  # nothing sent yet

    panel.confirm_button.click()
    assert panel.confirm_bar.layout.display == "none"
    server = _sessions(client, identity_id)
    assert server[target]["active"] is False
    assert server[other]["active"] is True
    assert "Disabled 1 of 1 session." in panel.status.value
    # The table was read again and the selection kept.
    assert panel.selected_ids == [target]
    assert next(s for s in panel.sessions if s["id"] == target)["active"] is False


def test_cancel_sends_nothing(client: Client, first_identity: FindIdentity) -> None:
    identity_id = _with_sessions(client, first_identity, 1)
    panel = SessionsPanel(client, identity_id)
    before = _sessions(client, identity_id)
    panel.logout_button.click()
    panel.cancel_button.click()
    assert panel.confirm_bar.layout.display == "none"
    panel.confirm_button.click()  # no action pending any more
    assert _sessions(client, identity_id) == before


def test_extend_moves_expiry_without_confirmation(client: Client, first_identity: FindIdentity) -> None:
    identity_id = _with_sessions(client, first_identity, 1)
    panel = SessionsPanel(client, identity_id)
    sid = next(sid for sid, s in _sessions(client, identity_id).items() if s["active"])
    before = _sessions(client, identity_id)[sid]["expires_at"]
    panel.select([sid])
    panel.extend_button.click()
    assert "Extended 1 of 1 session." in panel.status.value
    assert _sessions(client, identity_id)[sid]["expires_at"] >= before


def test_nothing_selected_is_said(client: Client, first_identity: FindIdentity) -> None:
    panel = SessionsPanel(client, _with_sessions(client, first_identity, 1))
    panel.disable_button.click()
    assert "select at least one session" in panel.status.value
    assert panel.confirm_bar.layout.display == "none"


def test_log_out_everywhere_from_a_frame_row(client: Client, first_identity: FindIdentity) -> None:
    from ory_frames import read_identities

    identity_id = _with_sessions(client, first_identity, 1)
    frame = read_identities(client)
    row = frame[frame["id"] == identity_id].iloc[0]
    panel = SessionsPanel.from_row(client, row)
    assert panel.identity_id == identity_id and panel.sessions

    panel.logout_button.click()
    assert "Delete every session" in panel.confirm_text.value
    panel.confirm_button.click()
    assert _sessions(client, identity_id) == {}
    assert panel.sessions == [] and "Logged out everywhere" in panel.status.value

    # Again: Ory answers 404 for an identity without sessions (wire notes §7); said in words.
    panel.logout_button.click()
    panel.confirm_button.click()
    assert "Nothing to log out" in panel.status.value
