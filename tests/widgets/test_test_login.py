"""TestLoginFlowForm against the sandbox: create a flow, complete it through the sandbox, read it back."""

from __future__ import annotations

import httpx
import pytest

from ory_frames import Client, NotFoundError
from ory_frames.widgets import TestLoginFlowForm, read_login_flow

CLAIMS = {"sub": "g-123", "email": "flow.tester@example.com", "email_verified": True, "name": "Flow Tester"}


@pytest.mark.newer_kratos("POST /admin/test-login-flows came later")
def test_create_shows_flow_id_expiry_and_url(client: Client) -> None:
    form = TestLoginFlowForm(client)
    assert form.refresh_button.disabled is True
    form.provider_id.value = "google"
    form.create_button.click()

    assert "ory-error" not in form.status.value, form.status.value
    assert form.flow is not None
    flow_id = str(form.flow["id"])
    assert f">{flow_id}<" in form.flow_info.value
    assert "Expires:" in form.flow_info.value and "(in " in form.flow_info.value
    assert str(form.flow["request_url"]) in form.flow_info.value.replace("&amp;", "&")
    assert form.flow["test_context"]["provider_id"] == "google"  # wire notes §10
    assert "No login completed yet" in form.context.value
    assert form.refresh_button.disabled is False


@pytest.mark.newer_kratos("POST /admin/test-login-flows came later")
def test_refresh_shows_claims_and_mapper_output_after_the_login(client: Client, sandbox_url: str, api_key: str) -> None:
    form = TestLoginFlowForm(client)
    form.provider_id.value = "github"
    form.create_button.click()
    assert form.flow is not None
    flow_id = str(form.flow["id"])

    # What a person does in the browser, done through the sandbox's own door.
    answer = httpx.post(
        f"{sandbox_url}/__sandbox/test-login-flows/{flow_id}/complete",
        json=CLAIMS,
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert answer.status_code < 300, answer.text

    form.refresh_button.click()
    assert "ory-error" not in form.status.value, form.status.value
    payload = form.flow["test_context"]["debug_payload"]
    assert payload  # the sandbox filled it
    assert "flow.tester@example.com" in form.context.value
    assert "ID token claims" in form.context.value or "Userinfo" in form.context.value
    if payload.get("jsonnet_output"):
        assert "Mapper output" in form.context.value


@pytest.mark.newer_kratos("POST /admin/test-login-flows came later")
def test_unknown_provider_shows_ory_404(client: Client) -> None:
    form = TestLoginFlowForm(client)
    form.provider_id.value = "myspace"
    form.create_button.click()
    # wire notes §10: 404 with reason 'OpenID Connect provider "x" is not configured'.
    assert 'Ory answered 404: OpenID Connect provider "myspace" is not configured' in form.status.value.replace(
        "&quot;", '"'
    )
    assert form.flow is None and form.refresh_button.disabled is True


def test_empty_and_overlong_provider_are_refused_locally(client: Client) -> None:
    form = TestLoginFlowForm(client)
    form.create_button.click()
    assert "Not sent: enter the id of an OIDC provider" in form.status.value
    form.provider_id.value = "x" * 256
    form.create_button.click()
    assert "at most 255 characters" in form.status.value


def test_refresh_of_an_unknown_flow_is_an_inline_error(client: Client) -> None:
    form = TestLoginFlowForm(client)
    form.refresh_button.click()
    assert "create a test login flow first" in form.status.value


def _mock_client(routes: dict[str, tuple[int, dict[str, object]]], seen: list[str]) -> Client:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status, body = routes.get(request.url.path, (404, {"error": {"code": 404, "message": "Not Found"}}))
        return httpx.Response(status, json=body)

    return Client("https://example.projects.oryapis.com", api_key="k", transport=httpx.MockTransport(handle), retries=0)


def test_read_login_flow_prefers_the_public_route() -> None:
    seen: list[str] = []
    flow = {"id": "f1", "test_context": {"provider_id": "google"}}
    client = _mock_client({"/self-service/login/flows": (200, flow)}, seen)
    assert read_login_flow(client, "f1") == flow
    assert seen == ["/self-service/login/flows"]


def test_read_login_flow_falls_back_to_the_sandbox_and_reports_the_public_error() -> None:
    seen: list[str] = []
    flow = {"id": "f2", "test_context": {"provider_id": "github"}}
    client = _mock_client({"/__sandbox/test-login-flows/f2": (200, flow)}, seen)
    assert read_login_flow(client, "f2") == flow
    assert seen == ["/self-service/login/flows", "/__sandbox/test-login-flows/f2"]

    seen.clear()
    with pytest.raises(NotFoundError) as info:
        read_login_flow(client, "nope")
    assert info.value.url is not None and "/self-service/login/flows" in info.value.url
    # A 403 (Ory Network wants the browser's anti-CSRF cookie) is not hidden behind the fallback.
    seen.clear()
    csrf = {"error": {"code": 403, "status": "Forbidden", "reason": "security_csrf_violation", "message": "m"}}
    forbidding = _mock_client({"/self-service/login/flows": (403, csrf)}, seen)
    form = TestLoginFlowForm(forbidding)
    form.flow = {"id": "f3"}
    form.refresh_button.disabled = False
    form.refresh_button.click()
    assert "Ory answered 403: security_csrf_violation" in form.status.value
    assert seen == ["/self-service/login/flows"]


def test_form_displays_as_a_widget(client: Client) -> None:
    bundle = TestLoginFlowForm(client)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
