"""Shared pieces of the notebook forms: error text, duration checks, value shaping and small HTML helpers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import ipywidgets as w

from .._errors import ApiError, InvalidInputError, OryFramesError, TransportError, UnexpectedResponseError
from .._rfc3339 import parse_rfc3339

# Ory's pattern for `expires_in` (wire notes §9; the `pattern` of createRecoveryCodeForIdentityBody).
GO_DURATION = re.compile(r"^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"([0-9]+(?:[.][0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

ERROR_STYLE = "color:#b00020"
OK_STYLE = "color:#1b5e20"
COPY_STYLE = (
    "user-select:all;-webkit-user-select:all;font-family:monospace;padding:1px 4px;background:#f3f3f3;border-radius:3px"
)


def duration_seconds(text: str) -> float:
    """The length of a Go duration string in seconds; InvalidInputError if Ory's pattern refuses it."""
    if not GO_DURATION.match(text):
        raise InvalidInputError(
            f'"{text}" is not a duration Ory accepts: use numbers with units (ns, us, ms, s, m, h),'
            ' e.g. "1h" or "1m30s"'
        )
    return sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _DURATION_PART.findall(text))


def check_expires_in(text: str) -> str | None:
    """The `expires_in` to send (None for Ory's default when blank), refused locally unless valid and > 0."""
    text = text.strip()
    if not text:
        return None
    if duration_seconds(text) <= 0:
        # Ory would answer 400 "must result to a future time" (wire notes §9); say it before sending.
        raise InvalidInputError(f'expires_in "{text}" must be longer than zero')
    return text


def is_uuid(text: str) -> bool:
    """Whether text looks like a UUID."""
    return bool(_UUID.match(text.strip()))


def as_dict(value: Any) -> dict[str, Any]:
    """A plain JSON dict from a dict, a pydantic model (as the server sent it) or a pandas row."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    raw = getattr(value, "raw", None)  # _models.OryModel keeps the server's JSON object
    if isinstance(raw, Mapping):
        return dict(raw)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        result = dump(mode="json", by_alias=True, exclude_unset=True)
        return dict(result) if isinstance(result, Mapping) else {}
    to_dict = getattr(value, "to_dict", None)  # a pandas Series
    if callable(to_dict):
        result = to_dict()
        return dict(result) if isinstance(result, Mapping) else {}
    raise TypeError(f"expected a mapping or a model, got {type(value).__name__}")


def plain(value: Any) -> Any:
    """None for pandas' missing markers (NaN, NA, NaT), else the value unchanged."""
    if value is None:
        return None
    try:
        if value != value:  # NaN and NaT are not equal to themselves
            return None
    except (TypeError, ValueError):  # arrays, pd.NA
        if type(value).__name__ in ("NAType", "NaTType"):
            return None
    return value


def main_identifier(identity: Mapping[str, Any]) -> str:
    """The identifier a person signs in with: a credential identifier, else an email, username or phone trait."""
    creds = identity.get("credentials")
    if isinstance(creds, Mapping):
        for kind in ("password", "code", "webauthn", "passkey", "oidc", "saml"):
            idents = (creds.get(kind) or {}).get("identifiers") or []
            if idents:
                return str(idents[0])
    flat = plain(identity.get("credential_identifiers"))  # a frame row's summary column
    if flat is not None and len(flat) > 0:
        return str(flat[0])
    traits = identity.get("traits")
    if not isinstance(traits, Mapping):
        traits = {k[len("traits.") :]: v for k, v in identity.items() if str(k).startswith("traits.")}
    for key in ("email", "username", "phone", "phone_number"):
        value = plain(traits.get(key))
        if value:
            return str(value)
    return ""


def describe_error(exc: BaseException) -> str:
    """Plain words for a failed call: status, Ory's reason and message, and the request id."""
    if isinstance(exc, ApiError):
        parts = [f"Ory answered {exc.status}"]
        if exc.reason:
            parts.append(exc.reason)
        if exc.message and exc.message != exc.reason:
            parts.append(exc.message)
        text = ": ".join(parts[:2]) + (f" ({parts[2]})" if len(parts) > 2 else "")
        if exc.request_id:
            text += f". Request id: {exc.request_id}"
        return text
    if isinstance(exc, InvalidInputError):
        return "Not sent: " + "; ".join(str(p) for p in exc.problems)
    if isinstance(exc, TransportError):
        return f"Could not reach Ory: {exc}"
    if isinstance(exc, UnexpectedResponseError):
        return f"Ory's answer could not be read: {exc}"
    if isinstance(exc, OryFramesError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def error_html(exc: BaseException | str) -> str:
    """An inline error line."""
    text = exc if isinstance(exc, str) else describe_error(exc)
    return f'<div class="ory-error" style="{ERROR_STYLE}">⚠ {html.escape(text)}</div>'


def copyable(text: str, css_class: str) -> str:
    """Text that selects whole on click, to copy it in one go."""
    return f'<span class="{css_class}" style="{COPY_STYLE}">{html.escape(text)}</span>'


def copyable_link(url: str, css_class: str) -> str:
    """A copyable URL followed by a link that opens it in a new tab."""
    return (
        f'{copyable(url, css_class)} <a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">open</a>'
    )


def pretty_json(value: Any) -> str:
    """A <pre> block of indented JSON; a string holding JSON (as Jsonnet input and output are) is parsed first."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return f'<pre style="margin:2px 0;line-height:1.3">{html.escape(value)}</pre>'
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f'<pre style="margin:2px 0;line-height:1.3;max-height:20em;overflow:auto">{html.escape(text)}</pre>'


def when(expires_at: Any, *, now: datetime | None = None) -> str:
    """A timestamp in UTC to the second, followed by how far away it is ("in 59 min")."""
    if not expires_at:
        return "unknown"
    text = str(expires_at)
    try:
        moment = parse_rfc3339(text).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return text
    delta = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    secs = abs(delta)
    span = (
        f"{secs / 86400:.1f} days"
        if secs >= 172800
        else f"{secs / 3600:.1f} h"
        if secs >= 7200
        else f"{secs / 60:.0f} min"
    )
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({span} ago)" if delta < 0 else f"{stamp} (in {span})"


def labelled(text: str, widget: w.Widget, *, width: str = "80px") -> w.HBox:
    """A widget with its label on the left, aligned with the other fields of a form."""
    label = w.HTML(
        f'<div style="text-align:right;padding-right:8px">{html.escape(text)}</div>', layout=w.Layout(width=width)
    )
    return w.HBox([label, widget], layout=w.Layout(align_items="center"))


def fit() -> w.Layout:
    """A layout as wide as its content (a VBox otherwise stretches buttons to its full width)."""
    return w.Layout(width="max-content", align_self="flex-start")


@contextmanager
def busy(*buttons: w.Button) -> Iterator[None]:
    """Disable the buttons while a call runs; give them back afterwards."""
    before = [b.disabled for b in buttons]
    for b in buttons:
        b.disabled = True
    try:
        yield
    finally:
        for b, was in zip(buttons, before, strict=True):
            b.disabled = was


def run_guarded(action: Callable[[], object], show_error: Callable[[BaseException], None]) -> None:
    """Run one button action and put any failure inline instead of raising a traceback into the cell."""
    try:
        action()
    except Exception as exc:  # the form shows every failure in words; nothing escapes to the frontend
        show_error(exc)
