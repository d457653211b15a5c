"""The one Python-side parser of RFC 3339 timestamps, as Ory writes them.

Ory writes Go ``time.Time`` values as RFC 3339 with up to nine fraction digits (RFC3339Nano), ``Z`` for
UTC or an offset such as ``+02:00`` (wire notes §3); a real Kratos on SQLite sends nine digits where
PostgreSQL gives six. Python's ``datetime.fromisoformat`` is not used: before Python 3.11 it refuses
``Z`` and any fraction but three or six digits. Arrow columns are converted by pyarrow compute
(``_convert_fast.py``); this module serves values read one by one. It imports nothing but the
standard library, so the sandbox, data-subject reports and the command line can use it without
loading pyarrow.

Accepted, following RFC 3339 §5.6: ``YYYY-MM-DDTHH:MM:SS``, an optional fraction of one or more digits
(cut, not rounded, to microseconds), then ``Z`` or ``+HH:MM``/``-HH:MM``. The §5.6 note allows ``t`` and
``z`` in lower case and a space instead of ``T``; those are accepted too (Go's ``time.Parse`` refuses
them, wire notes "Beyond the reference", so Ory never sends them). Anything else (no offset, a date
alone, ``+0200``, hour 24, second 60, February 30) raises a ``ValueError`` that quotes the text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_rfc3339"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[Zz]|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
_EXAMPLE = "2026-05-07T08:23:19.123456789Z"


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime in the offset it was written with (fraction cut to microseconds).

    Raises
    ------
    ValueError
        ``text`` is not an RFC 3339 timestamp with ``Z`` or an offset (the message quotes it).
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp with Z or an offset, e.g. {_EXAMPLE!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, sign, offset_hours, offset_minutes = match.group(7, 8, 9, 10)
    micro = int((fraction or "")[:6].ljust(6, "0"))
    try:
        if sign is None:
            zone = timezone.utc
        else:
            if int(offset_hours) > 23 or int(offset_minutes) > 59:
                raise ValueError("offset out of range")
            offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
            zone = timezone(-offset if sign == "-" else offset)
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp: {exc}") from None
