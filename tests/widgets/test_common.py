"""Pure pieces of the forms: duration checks, error wording, identifier choice, the missing-extra error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import pytest

from ory_frames import BadRequestError, InvalidInputError, NotFoundError, TransportError
from ory_frames.widgets._common import (
    check_expires_in,
    describe_error,
    duration_seconds,
    error_html,
    main_identifier,
    when,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1.5h", 5400.0),
        ("2h45m", 9900.0),
        ("10us", 1e-5),
        ("10µs", 1e-5),  # U+00B5, as in Ory's pattern (wire notes §9)
        ("0s", 0.0),
    ],
)
def test_duration_seconds_reads_go_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["1d", "-1h", "1 h", "h", "1.h", "1H", "10", "1h-5m", ".5h", "1hh"])
def test_duration_seconds_refuses_what_ory_refuses(text: str) -> None:
    # Ory's pattern ^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$ (wire notes §9) has no sign or day unit.
    with pytest.raises(InvalidInputError, match="not a duration"):
        duration_seconds(text)


def test_check_expires_in_blank_means_default_and_zero_is_refused() -> None:
    assert check_expires_in("  ") is None
    assert check_expires_in(" 15m ") == "15m"
    with pytest.raises(InvalidInputError, match="longer than zero"):
        check_expires_in("0h0m0s")


def test_describe_error_gives_status_reason_message_and_request_id() -> None:
    exc = NotFoundError(
        status=404, message="Unable to locate the resource", reason="could not find identity", request_id="req-1"
    )
    text = describe_error(exc)
    assert text == "Ory answered 404: could not find identity (Unable to locate the resource). Request id: req-1"
    bad = BadRequestError(status=400, message='uuid: incorrect UUID length 3 in string "abc"')
    assert describe_error(bad).startswith('Ory answered 400: uuid: incorrect UUID length 3 in string "abc"')
    assert describe_error(InvalidInputError("enter something")) == "Not sent: enter something"
    assert describe_error(TransportError("connection refused")).startswith("Could not reach Ory")


def test_error_html_escapes_markup() -> None:
    out = error_html('<script>alert("x")</script>')
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert 'class="ory-error"' in out


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (
            {"credentials": {"password": {"identifiers": ["a@example.com"]}}, "traits": {"email": "b@x"}},
            "a@example.com",
        ),
        ({"traits": {"username": "ada"}}, "ada"),
        ({"traits": {"email": "e@x.org", "username": "u"}}, "e@x.org"),
        ({"traits.email": "row@example.com", "traits.name.first": "R"}, "row@example.com"),  # a frame row
        ({"credential_identifiers": ["cred@example.com"], "traits.email": None}, "cred@example.com"),
        ({"traits": {}}, ""),
    ],
)
def test_main_identifier(identity: dict[str, object], expected: str) -> None:
    assert main_identifier(identity) == expected


def test_when_says_how_far_away() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert when("2026-01-01T13:00:00.123456Z", now=now) == "2026-01-01 13:00:00 UTC (in 60 min)"
    # wire notes §3: Ory's nine fraction digits and a Z, which Python 3.10's fromisoformat refuses
    assert when("2026-01-01T13:00:00.123456789Z", now=now) == "2026-01-01 13:00:00 UTC (in 60 min)"
    assert when("2026-01-01T13:30:00+01:00", now=now) == "2026-01-01 12:30:00 UTC (in 30 min)"
    assert when("2026-01-01T11:30:00Z", now=now) == "2026-01-01 11:30:00 UTC (30 min ago)"
    assert when("2026-01-04T12:00:00Z", now=now) == "2026-01-04 12:00:00 UTC (in 3.0 days)"
    assert when("not a time") == "not a time"
    assert when(None) == "unknown"


def test_missing_ipywidgets_names_the_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["ipywidgets"] = None  # makes `import ipywidgets` fail
        try:
            import ory_frames.widgets
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "ory-frames[widgets]" in out.stdout
