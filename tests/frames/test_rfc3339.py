"""The one RFC 3339 parser: what Ory sends is read the same on every Python the package allows (3.10 on)."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone

import pytest

import ory_frames._rfc3339 as rfc3339_module
from ory_frames._rfc3339 import parse_rfc3339


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def zone(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


ACCEPTED = [
    # wire notes §3: Go's RFC3339Nano, nine digits as a real Kratos on SQLite sends them (Python 3.10's
    # fromisoformat refuses both the Z and the nine digits); cut, not rounded, to microseconds
    ("2026-12-07T04:25:18.943090646Z", utc(2026, 12, 7, 4, 25, 18, 943090)),
    ("2021-08-17T11:15:59.999999999+00:00", utc(2021, 8, 17, 11, 15, 59, 999999)),
    # no fraction: Go trims trailing zeros, so a whole second has none
    ("2013-10-07T08:23:19Z", utc(2013, 10, 7, 8, 23, 19)),
    # one, two, four, five, seven and eight digits: 3.10's fromisoformat takes only three or six
    ("2013-10-07T08:23:19.5Z", utc(2013, 10, 7, 8, 23, 19, 500000)),
    ("2013-10-07T08:23:19.25Z", utc(2013, 10, 7, 8, 23, 19, 250000)),
    ("2013-10-07T08:23:19.1234Z", utc(2013, 10, 7, 8, 23, 19, 123400)),
    ("2013-10-07T08:23:19.12345Z", utc(2013, 10, 7, 8, 23, 19, 123450)),
    ("2013-10-07T08:23:19.1234567Z", utc(2013, 10, 7, 8, 23, 19, 123456)),
    ("2013-10-07T08:23:19.12345678Z", utc(2013, 10, 7, 8, 23, 19, 123456)),
    # RFC 3339 §5.6 allows any number of fraction digits (Go's time.Parse too, so a trait may hold more)
    ("2013-10-07T08:23:19.1234567890Z", utc(2013, 10, 7, 8, 23, 19, 123456)),
    # wire notes §3: "state_changed_at": "2021-08-17T11:15:59.232051+02:00"
    ("2021-08-17T11:15:59.232051+02:00", datetime(2021, 8, 17, 11, 15, 59, 232051, tzinfo=zone(2))),
    ("2021-08-17T11:15:59-05:30", datetime(2021, 8, 17, 11, 15, 59, tzinfo=zone(-5, -30))),
    ("2021-08-17T11:15:59-00:00", utc(2021, 8, 17, 11, 15, 59)),
    # RFC 3339 §5.6 note: t and z may be lower case, and a space may stand for T (Ory sends neither)
    ("2021-08-17t11:15:59z", utc(2021, 8, 17, 11, 15, 59)),
    ("2021-08-17 11:15:59.5Z", utc(2021, 8, 17, 11, 15, 59, 500000)),
    # wire notes §8: Go's zero time, which callers read as "never"
    ("0001-01-01T00:00:00Z", utc(1, 1, 1)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


REFUSED = [
    "2021-08-17T11:15:59",  # no offset: which instant it is cannot be told
    "2021-08-17",  # a date alone
    "2021-08-17T11:15Z",  # no seconds
    "2021-08-17T11:15:59+0200",  # offset without colon (Go refuses it too: wire notes "Beyond the reference")
    "2021-08-17T11:15:59+02",
    "2021-08-17T11:15:59.Z",  # a point without digits
    "2021-08-17T11:15:59,5Z",  # a comma before the fraction
    "2021-08-17T24:00:00Z",  # hour 24
    "2021-08-17T11:15:60Z",  # a leap second, which datetime cannot hold
    "2021-02-30T11:15:59Z",  # no such day
    "2021-08-17T11:15:59+24:00",  # offsets stop at 23:59
    "2021-08-17T11:15:59+02:60",
    "20210817T111559Z",  # ISO 8601 basic format
    " 2021-08-17T11:15:59Z",  # surrounding blanks are the caller's to strip
    "2021-08-17T11:15:59Z\n",
    "2021-08-17T11:15:59ZZ",
    "２０２１-08-17T11:15:59Z",  # non-ASCII digits
    "yesterday",
    "",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_with_the_text_quoted(text: str) -> None:
    with pytest.raises(ValueError, match="is not an RFC 3339 timestamp") as caught:
        parse_rfc3339(text)
    assert repr(text) in str(caught.value)


def test_the_parser_does_not_lean_on_fromisoformat() -> None:
    # fromisoformat reads Z and fractions of any length only from Python 3.11 on; the package allows 3.10.
    assert "fromisoformat(" not in inspect.getsource(rfc3339_module)
