"""TestLoginFlowForm: create a dry-run OIDC test login flow and read its debug output back."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .._errors import InvalidInputError, NotFoundError, UnexpectedResponseError
from ._common import OK_STYLE, as_dict, busy, copyable, copyable_link, error_html, fit, pretty_json, run_guarded, when

if TYPE_CHECKING:
    from ory_frames.client import Client

# Ory's IdentityApi has no call that re-reads a login flow. The real one is the public
# `GET /self-service/login/flows?id=` (getLoginFlow in ory-client's OpenAPI spec); the sandbox also serves
# `GET /__sandbox/test-login-flows/{id}`, which is tried when the public route is not there.
PUBLIC_LOGIN_FLOW_PATH = "/self-service/login/flows"
SANDBOX_TEST_FLOW_PATH = "/__sandbox/test-login-flows/{id}"


def read_login_flow(client: Client, flow_id: str) -> dict[str, Any]:
    """Re-read a login flow through the client's generic GET: the public route, else the sandbox's.

    Raises the public route's error when neither knows the flow. On Ory Network a browser flow may need
    the anti-CSRF cookie of the browser that opened it, so the public route can answer 403 there.
    """
    try:
        return as_dict(client.get_json(PUBLIC_LOGIN_FLOW_PATH, {"id": flow_id}))
    except (NotFoundError, UnexpectedResponseError) as first:
        try:
            return as_dict(client.get_json(SANDBOX_TEST_FLOW_PATH.format(id=flow_id), None))
        except (NotFoundError, UnexpectedResponseError):
            raise first from None


def test_context_html(context: dict[str, Any]) -> str:
    """The parts of a flow's ``test_context`` worth reading: claims, mapper output and what failed."""
    payload = context.get("debug_payload")
    if not isinstance(payload, dict) or not payload:
        provider = html.escape(str(context.get("provider_id", "")))
        return (
            f"<div>No login completed yet for provider <code>{provider}</code>."
            " Open the URL, sign in, then refresh.</div>"
        )
    parts: list[str] = []
    error = payload.get("error")
    if error:
        parts.append(
            error_html(f"Failed at step {error.get('step', '?')}: {error.get('reason') or error.get('message')}")
        )
    problems = payload.get("schema_validation_errors") or []
    if problems:
        items = "".join(
            f"<li><code>{html.escape(str(p.get('path', '')))}</code>: {html.escape(str(p.get('message', '')))}</li>"
            for p in problems
        )
        parts.append(f'<div class="ory-schema-errors"><b>Schema validation errors</b><ul>{items}</ul></div>')
    sections = [
        ("ID token claims", "id_token_claims"),
        ("Userinfo", "userinfo"),
        ("Mapper output (traits)", "jsonnet_output"),
        ("Mapper input", "jsonnet_input"),
        ("Mapper stderr", "jsonnet_stderr"),
    ]
    for title, key in sections:
        if payload.get(key) not in (None, "", {}, []):
            parts.append(f"<div><b>{title}</b>{pretty_json(payload[key])}</div>")
    if payload.get("jsonnet_mapper_url"):
        parts.append(f"<div>Mapper: <code>{html.escape(str(payload['jsonnet_mapper_url']))}</code></div>")
    return "".join(parts)


class TestLoginFlowForm(w.VBox):  # type: ignore[misc]
    """A form that starts a dry-run OIDC login (``POST /admin/test-login-flows``) and shows its debug output.

    Parameters
    ----------
    client : Client
        The client that sends every request; the form makes no HTTP call of its own.

    Attributes
    ----------
    flow : dict or None
        The login flow as Ory last sent it.

    Examples
    --------
    >>> from ory_frames.widgets import TestLoginFlowForm
    >>> form = TestLoginFlowForm(client)
    >>> form.provider_id.value = "google"
    >>> form.create_button.click()
    >>> form.flow["test_context"]
    {'provider_id': 'google'}
    """

    __test__ = False  # not a pytest test class despite its name

    def __init__(self, client: Client) -> None:
        self._client = client
        self.flow: dict[str, Any] | None = None
        self.provider_id = w.Text(
            description="Provider",
            placeholder="google",
            style={"description_width": "70px"},
            layout=w.Layout(width="300px"),
        )
        self.create_button = w.Button(
            description="Create test login flow", button_style="primary", icon="flask", layout=fit()
        )
        self.refresh_button = w.Button(
            description="Refresh (after signing in)", icon="refresh", disabled=True, layout=fit()
        )
        self.status = w.HTML()
        self.flow_info = w.HTML()
        self.context = w.HTML()
        self.create_button.on_click(lambda _button: self.create())
        self.refresh_button.on_click(lambda _button: self.refresh())
        super().__init__(
            [
                w.HTML("<b>Test an OIDC login (dry run)</b>"),
                w.HBox([self.provider_id, self.create_button]),
                self.status,
                self.flow_info,
                self.refresh_button,
                self.context,
            ]
        )

    def _buttons(self) -> tuple[w.Button, w.Button]:
        return self.create_button, self.refresh_button

    def _show_error(self, exc: BaseException) -> None:
        self.status.value = error_html(exc)

    def create(self) -> None:
        """Create a test login flow for the provider typed in; what the create button does."""
        self.status.value = ""
        with busy(*self._buttons()):
            run_guarded(self._create, self._show_error)
        self.refresh_button.disabled = self.flow is None

    def _create(self) -> None:
        provider = self.provider_id.value.strip()
        if not provider:
            raise InvalidInputError("enter the id of an OIDC provider configured on the project")
        if len(provider) > 255:  # Ory's limit (wire notes §10)
            raise InvalidInputError("a provider id has at most 255 characters")
        self.flow = None
        self.flow_info.value = ""
        self.context.value = ""
        self._show_flow(as_dict(self._client.create_test_login_flow({"provider_id": provider})))
        self.status.value = f'<div style="{OK_STYLE}">Test login flow created.</div>'

    def refresh(self) -> None:
        """Re-read the flow and show its ``test_context``; what the refresh button does."""
        if self.flow is None:
            self.status.value = error_html("create a test login flow first")
            return
        self.status.value = ""
        flow_id = str(self.flow["id"])
        with busy(*self._buttons()):
            run_guarded(lambda: self._show_flow(read_login_flow(self._client, flow_id)), self._show_error)

    def _show_flow(self, flow: dict[str, Any]) -> None:
        self.flow = flow
        ui = flow.get("ui") or {}
        rows = [f"<div>Flow id: {copyable(str(flow.get('id', '')), 'ory-flow-id')}</div>"]
        rows.append(f"<div>Expires: {html.escape(when(flow.get('expires_at')))}</div>")
        if flow.get("request_url"):
            rows.append(f"<div>Open to sign in: {copyable_link(str(flow['request_url']), 'ory-flow-url')}</div>")
        if ui.get("action"):
            rows.append(f"<div>Form posts to: {copyable(str(ui['action']), 'ory-flow-action')}</div>")
        self.flow_info.value = "".join(rows)
        context = flow.get("test_context")
        self.context.value = test_context_html(context) if isinstance(context, dict) else ""
