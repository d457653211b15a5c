"""RecoveryForm: find an identity and create an admin recovery code or link for it."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Literal

import ipywidgets as w

from .._errors import InvalidInputError
from ._common import (
    OK_STYLE,
    as_dict,
    busy,
    check_expires_in,
    copyable,
    copyable_link,
    error_html,
    fit,
    is_uuid,
    labelled,
    main_identifier,
    plain,
    run_guarded,
    when,
)

if TYPE_CHECKING:
    from ory_frames.client import Client

FindBy = Literal["identifier", "id", "external_id"]
Method = Literal["code", "link"]

_FIND_BY_OPTIONS: list[tuple[str, FindBy]] = [
    ("Email or username", "identifier"),
    ("Identity id", "id"),
    ("External id", "external_id"),
]
_PLACEHOLDERS: dict[str, str] = {
    "identifier": "someone@example.com",
    "id": "identity UUID",
    "external_id": "your system's id",
}


def identity_summary(identity: dict[str, Any]) -> str:
    """One line of HTML naming an identity: id, main identifier, schema and state."""
    ident = main_identifier(identity) or "(no identifier)"
    schema = plain(identity.get("schema_id")) or "?"
    state = plain(identity.get("state")) or "?"
    return (
        f'<div class="ory-found" style="{OK_STYLE}">Found <code>{html.escape(str(identity.get("id", "")))}</code>'
        f" · {html.escape(ident)} · schema <code>{html.escape(str(schema))}</code>"
        f" · {html.escape(str(state))}</div>"
    )


class RecoveryForm(w.VBox):  # type: ignore[misc]
    """A form that creates a recovery code or link for one identity (``POST /admin/recovery/code|link``).

    Parameters
    ----------
    client : Client
        The client that sends every request; the form makes no HTTP call of its own.
    identity : str, dict or model, optional
        Who to recover: an identity id, an email or username, or an identity as returned by the client.

    Attributes
    ----------
    result : dict or None
        The last successful answer, as Ory sent it (``recovery_code``, ``recovery_link``, ``expires_at``).
    identity : dict or None
        The identity found for the current input.

    Examples
    --------
    >>> from ory_frames.widgets import RecoveryForm
    >>> form = RecoveryForm(client, identity=client.list_identities(page_size=1).items[0]["id"])
    >>> form.send_button.click()
    >>> sorted(form.result)
    ['expires_at', 'recovery_code', 'recovery_link']
    """

    def __init__(self, client: Client, *, identity: str | Any = None) -> None:
        self._client = client
        self.result: dict[str, Any] | None = None
        self.identity: dict[str, Any] | None = None

        label = {"description_width": "80px"}
        self.find_by = w.Dropdown(
            options=_FIND_BY_OPTIONS,
            value="identifier",
            description="Find by",
            style=label,
            layout=w.Layout(width="260px"),
        )
        self.identity_input = w.Text(
            description="Identity",
            placeholder=_PLACEHOLDERS["identifier"],
            continuous_update=False,
            style={"description_width": "60px"},
            layout=w.Layout(width="360px"),
        )
        self.identity_input.add_class("ory-identity-input")
        self.found = w.HTML()
        self.method = w.ToggleButtons(options=[("Code", "code"), ("Link", "link")], value="code")
        self.expires_in = w.Text(
            description="Expires in",
            placeholder="e.g. 1h or 15m (blank: project default)",
            style=label,
            layout=w.Layout(width="420px"),
        )
        self.flow_type = w.ToggleButtons(options=["browser", "api"], value="browser")
        self.return_to = w.Text(
            description="Return to",
            placeholder="https://app.example.com/after-recovery (optional)",
            style=label,
            layout=w.Layout(width="420px"),
        )
        self.send_button = w.Button(
            description="Create recovery code", button_style="primary", icon="key", layout=fit()
        )
        self.send_button.add_class("ory-recovery-send")
        self.status = w.HTML()
        self.output = w.HTML()
        self.output.add_class("ory-recovery-result")
        self._flow_type_row = labelled("Flow type", self.flow_type)
        self._apply_identity(identity)

        self.find_by.observe(self._on_find_by, names="value")
        self.identity_input.observe(self._on_identity, names="value")
        self.method.observe(self._on_method, names="value")
        self.send_button.on_click(lambda _button: self.submit())
        self._on_method()
        if isinstance(identity, str) and identity.strip():
            run_guarded(self.lookup, self._show_lookup_error)  # show who it is straight away
        super().__init__(
            [
                w.HTML("<b>Account recovery</b>"),
                w.HBox([self.find_by, self.identity_input]),
                self.found,
                labelled("Send", self.method),
                self.expires_in,
                self._flow_type_row,
                self.return_to,
                self.send_button,
                self.status,
                self.output,
            ]
        )

    @classmethod
    def from_row(cls, client: Client, row: Any) -> RecoveryForm:
        """A form for the identity in one row of the frame ``read_identities`` returned."""
        return cls(client, identity=as_dict(row))

    # --- identity -------------------------------------------------------------------------------------

    def _apply_identity(self, identity: str | Any) -> None:
        """Fill the inputs from the constructor's ``identity`` without asking Ory anything yet."""
        if identity is None:
            return
        if isinstance(identity, str):
            self.find_by.value = "id" if is_uuid(identity) else "identifier"
            self.identity_input.placeholder = _PLACEHOLDERS[self.find_by.value]
            self.identity_input.value = identity.strip()
            return
        doc = as_dict(identity)
        if not doc.get("id"):
            raise ValueError("the identity has no 'id'")
        self.find_by.value = "id"
        self.identity_input.placeholder = _PLACEHOLDERS["id"]
        self.identity_input.value = str(doc["id"])
        self.identity = doc
        self.found.value = identity_summary(doc)

    def _on_find_by(self, _change: Any = None) -> None:
        self.identity_input.placeholder = _PLACEHOLDERS[self.find_by.value]
        self._on_identity()

    def _on_identity(self, _change: Any = None) -> None:
        self.identity = None
        self.found.value = ""
        if self.identity_input.value.strip():
            run_guarded(self.lookup, self._show_lookup_error)

    def _show_lookup_error(self, exc: BaseException) -> None:
        self.found.value = error_html(exc)

    def lookup(self) -> dict[str, Any]:
        """Find the identity named by the input (by identifier, id or external id) and show who it is."""
        value = self.identity_input.value.strip()
        if not value:
            raise InvalidInputError("enter an email, username, identity id or external id first")
        mode = self.find_by.value
        with busy(self.send_button):
            if mode == "id":
                doc = as_dict(self._client.get_identity(value))
            elif mode == "external_id":
                doc = as_dict(self._client.get_identity_by_external_id(value))
            else:
                # An exact match on any credential identifier (wire notes §2).
                page = self._client.list_identities(credentials_identifier=value)
                items = list(page)
                if not items:
                    raise InvalidInputError(f"no identity has the identifier {value!r}")
                doc = as_dict(items[0])
        self.identity = doc
        self.found.value = identity_summary(doc)
        return doc

    def _identity_id(self) -> str:
        """The id to send; an id typed as such goes to Ory unchecked so that Ory's own verdict shows."""
        value = str(self.identity_input.value).strip()
        if self.find_by.value == "id" and value:
            return value
        doc = self.identity if self.identity is not None else self.lookup()
        return str(doc["id"])

    # --- sending --------------------------------------------------------------------------------------

    def _on_method(self, _change: Any = None) -> None:
        code = self.method.value == "code"
        self._flow_type_row.layout.display = None if code else "none"
        self.return_to.layout.display = "none" if code else None
        self.send_button.description = "Create recovery code" if code else "Create recovery link"

    def submit(self) -> None:
        """Create the code or link for the chosen identity; what the button does."""
        self.status.value = ""
        self.output.value = ""
        self.result = None
        with busy(self.send_button):
            run_guarded(self._send, self._show_error)

    def _show_error(self, exc: BaseException) -> None:
        self.status.value = error_html(exc)

    def _send(self) -> None:
        expires_in = check_expires_in(self.expires_in.value)  # before any request (wire notes §9)
        identity_id = self._identity_id()
        body: dict[str, Any] = {"identity_id": identity_id}
        if expires_in is not None:
            body["expires_in"] = expires_in
        method: Method = self.method.value
        if method == "code":
            body["flow_type"] = self.flow_type.value
            answer = as_dict(self._client.create_recovery_code_for_identity(body))
        else:
            return_to = self.return_to.value.strip() or None
            answer = as_dict(self._client.create_recovery_link_for_identity(body, return_to=return_to))
        self.result = answer
        self.output.value = self._result_html(answer)
        self.status.value = f'<div style="{OK_STYLE}">Created for <code>{html.escape(identity_id)}</code>.</div>'

    @staticmethod
    def _result_html(answer: dict[str, Any]) -> str:
        rows = []
        if answer.get("recovery_code"):
            rows.append(f"<div>Recovery code: {copyable(str(answer['recovery_code']), 'ory-recovery-code')}</div>")
        if answer.get("recovery_link"):
            rows.append(f"<div>Recovery link: {copyable_link(str(answer['recovery_link']), 'ory-recovery-link')}</div>")
        rows.append(
            f'<div>Expires: <span class="ory-expires-at">{html.escape(when(answer.get("expires_at")))}</span></div>'
        )
        return "".join(rows)
