"""RecoveryForm against the sandbox: codes and links, every way to find the identity, inline errors."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ory_frames import Client
from ory_frames.widgets import RecoveryForm

if TYPE_CHECKING:
    from .conftest import FindIdentity, MakeRecordingClient

CODE = re.compile(r'class="ory-recovery-code"[^>]*>(\d{6})<')
LINK = re.compile(r'class="ory-recovery-link"[^>]*>([^<]+)<')


def login_email(identity: dict[str, Any]) -> bool:
    """True when the email trait is a login identifier: in the `default` schema it is; in `username` it is not."""
    return identity["schema_id"] == "default" and email_of(identity) is not None


def email_of(identity: dict[str, Any]) -> str | None:
    email = (identity.get("traits") or {}).get("email")
    return str(email) if email else None


def _expires(form: RecoveryForm) -> datetime:
    assert form.result is not None
    return datetime.fromisoformat(str(form.result["expires_at"]).replace("Z", "+00:00"))


@pytest.mark.sandbox_only("reads the issued code back through /__sandbox/recoveries")
def test_code_by_email_shows_who_and_a_six_digit_code(client: Client, first_identity: FindIdentity) -> None:
    identity = first_identity(client, login_email)
    form = RecoveryForm(client)
    form.identity_input.value = email_of(identity)  # the lookup runs on change, as when the field loses focus
    assert identity["id"] in form.found.value
    assert "schema <code>" in form.found.value and identity["state"] in form.found.value

    form.expires_in.value = "30m"
    form.send_button.click()

    assert "ory-error" not in form.status.value, form.status.value
    code = CODE.search(form.output.value)
    assert code is not None, form.output.value
    assert form.result is not None and form.result["recovery_code"] == code.group(1)
    issued = client.get_json("/__sandbox/recoveries", {"identity_id": identity["id"]})  # the sandbox needs the key
    assert code.group(1) in [r["recovery_code"] for r in issued], "the server issued this code for this identity"
    link = LINK.search(form.output.value)
    assert link is not None and re.search(r"[?&]flow=[0-9a-f-]{36}", link.group(1))
    expires = _expires(form)
    assert timedelta(minutes=29) < expires - datetime.now(timezone.utc) <= timedelta(minutes=30, seconds=5)
    assert "Expires:" in form.output.value and "(in 30 min)" in form.output.value
    assert form.send_button.disabled is False


def test_link_by_id_with_return_to(client: Client, first_identity: FindIdentity) -> None:
    identity = first_identity(client, lambda i: True)
    form = RecoveryForm(client, identity=identity["id"])
    assert form.find_by.value == "id"
    assert identity["id"] in form.found.value  # looked up and shown at once
    form.method.value = "link"
    assert form._flow_type_row.layout.display == "none" and form.return_to.layout.display is None
    assert form.send_button.description == "Create recovery link"
    form.return_to.value = ""
    form.send_button.click()

    assert "ory-error" not in form.status.value, form.status.value
    assert form.result is not None and "recovery_code" not in form.result
    link = LINK.search(form.output.value)
    assert link is not None
    assert "flow=" in link.group(1) and "token=" in link.group(1)  # wire notes §9


@pytest.mark.newer_kratos("external_id came later")
def test_code_by_external_id(client: Client, first_identity: FindIdentity) -> None:
    external_id = f"crm-{uuid.uuid4()}"
    created = client.create_identity(
        {"schema_id": "default", "external_id": external_id, "traits": {"email": f"{external_id}@example.com"}}
    )
    form = RecoveryForm(client)
    form.find_by.value = "external_id"
    form.identity_input.value = external_id
    assert str(created.id) in form.found.value
    form.send_button.click()
    assert form.result is not None and re.fullmatch(r"\d{6}", form.result["recovery_code"])


def test_from_row_of_read_identities(client: Client, first_identity: FindIdentity) -> None:
    from ory_frames import read_identities

    frame = read_identities(client)
    row = frame.iloc[0]
    form = RecoveryForm.from_row(client, row)
    assert form.identity_input.value == row["id"]
    assert row["id"] in form.found.value
    form.send_button.click()
    assert form.result is not None and CODE.search(form.output.value)


def test_unknown_identifier_is_said_in_words(client: Client, first_identity: FindIdentity) -> None:
    form = RecoveryForm(client)
    form.identity_input.value = "nobody-at-all@example.com"
    assert "no identity has the identifier" in form.found.value
    form.send_button.click()
    assert "no identity has the identifier" in form.status.value
    assert form.result is None and form.output.value == ""


def test_unknown_identity_for_code_shows_ory_404(client: Client, first_identity: FindIdentity) -> None:
    form = RecoveryForm(client, identity=str(uuid.uuid4()))
    form.send_button.click()
    # wire notes §9: 404 with reason "could not find identity".
    assert "Ory answered 404: could not find identity" in form.status.value
    assert "Traceback" not in form.status.value and form.output.value == ""


def test_unknown_identity_for_link_shows_ory_400(client: Client, first_identity: FindIdentity) -> None:
    form = RecoveryForm(client, identity=str(uuid.uuid4()))
    form.method.value = "link"
    form.send_button.click()
    # wire notes §9: the link endpoint answers 400, not 404.
    assert "Ory answered 400: The requested identity id does not exist." in form.status.value


@pytest.mark.parametrize(
    ("expires_in", "words"), [("1 day", "not a duration"), ("2d", "not a duration"), ("0s", "longer than zero")]
)
def test_bad_durations_are_refused_before_sending(
    make_recording_client: MakeRecordingClient, first_identity: FindIdentity, expires_in: str, words: str
) -> None:
    recorded_client, recorder = make_recording_client(None)
    identity = first_identity(recorded_client, lambda i: True)
    form = RecoveryForm(recorded_client, identity=identity["id"])
    form.expires_in.value = expires_in
    recorder.requests.clear()
    form.send_button.click()
    assert words in form.status.value
    assert recorder.requests == []  # nothing went out


def test_button_is_disabled_while_the_call_runs(
    make_recording_client: MakeRecordingClient, first_identity: FindIdentity
) -> None:
    seen: list[tuple[str, bool]] = []
    form_box: list[RecoveryForm] = []

    def watch(request: httpx.Request) -> None:
        if form_box:
            seen.append((request.url.path, form_box[0].send_button.disabled))

    client, _ = make_recording_client(watch)
    identity = first_identity(client, lambda i: True)
    form = RecoveryForm(client, identity=identity["id"])
    form_box.append(form)
    form.send_button.click()
    assert ("/admin/recovery/code", True) in seen
    assert form.send_button.disabled is False


def _states(widget: Any) -> list[dict[str, Any]]:
    out = [widget.get_state()]
    for child in getattr(widget, "children", ()):
        out.extend(_states(child))
    return out


def test_no_widget_state_holds_the_api_key(client: Client, first_identity: FindIdentity, api_key: str) -> None:
    identity = first_identity(client, login_email)
    form = RecoveryForm(client, identity=email_of(identity))
    form.send_button.click()
    bad = RecoveryForm(client, identity=str(uuid.uuid4()))
    bad.send_button.click()
    for widget in (form, bad):
        text = repr(widget) + "".join(str(s) for s in _states(widget))
        assert api_key not in text
        assert "ory_pat_" not in text
