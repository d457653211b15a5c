"""The ``date-time``, ``date`` and ``time`` formats as Kratos checks them.

``formats.go`` accepts a value when Go's ``time.Parse`` reads it with one of the RFC 3339 layouts
(``2006-01-02T15:04:05Z07:00`` and its fractional-second variant, or the date or the time half).
Go tries a strict RFC 3339 reader first and falls back to its general layout parser
(``time/format.go``), which is more lenient: whatever either accepts passes. The general parser's
rules for the layout elements used here:

- year ``2006``: exactly four ASCII digits;
- month ``01``, day ``02``, minute ``04``, second ``05``: exactly two digits, in range (the day
  against the month's length, leap years included; second 60 is refused);
- hour ``15``: one or two digits, 0 to 23;
- after the seconds, a ``.`` or ``,`` followed by any number of digits is a fraction;
- zone ``Z07:00``: an upper-case ``Z``, or a sign, two digits, ``:`` and two digits, with hours up to
  24 and minutes up to 60 (Go range-checks offsets with ``>``, not ``>=``);
- literal characters (``-``, ``T``, ``:``) must match exactly, case included; nothing may follow.
"""

from __future__ import annotations

import calendar


def _digits(text: str, pos: int, count: int) -> int | None:
    chunk = text[pos : pos + count]
    if len(chunk) != count or not all("0" <= c <= "9" for c in chunk):
        return None
    return int(chunk)


def _is_digit(text: str, pos: int) -> bool:
    return pos < len(text) and "0" <= text[pos] <= "9"


def _date(text: str, pos: int) -> int:
    """End of a ``2006-01-02`` date at ``pos``, or -1."""
    year, month, day = _digits(text, pos, 4), _digits(text, pos + 5, 2), _digits(text, pos + 8, 2)
    if year is None or month is None or day is None or text[pos + 4 : pos + 5] != "-" or text[pos + 7 : pos + 8] != "-":
        return -1
    # Go counts year 0 as a leap year, like 2000 (the calendar module starts at year 1).
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
        return -1
    return pos + 10


def _time(text: str, pos: int) -> int:
    """End of ``15:04:05`` (one-digit hour allowed, optional fraction) at ``pos``, or -1."""
    if not _is_digit(text, pos):
        return -1
    width = 2 if _is_digit(text, pos + 1) else 1
    hour = int(text[pos : pos + width])
    pos += width
    minute, second = _digits(text, pos + 1, 2), _digits(text, pos + 4, 2)
    if text[pos : pos + 1] != ":" or text[pos + 3 : pos + 4] != ":" or minute is None or second is None:
        return -1
    if hour > 23 or minute > 59 or second > 59:
        return -1
    pos += 6
    if pos + 1 < len(text) and text[pos] in ".," and _is_digit(text, pos + 1):
        pos += 1
        while _is_digit(text, pos):
            pos += 1
    return pos


def _zone(text: str, pos: int) -> int:
    """End of a ``Z07:00`` zone at ``pos``, or -1."""
    if text[pos : pos + 1] == "Z":
        return pos + 1
    hours, minutes = _digits(text, pos + 1, 2), _digits(text, pos + 4, 2)
    if text[pos : pos + 1] not in ("+", "-") or text[pos + 3 : pos + 4] != ":" or hours is None or minutes is None:
        return -1
    return pos + 6 if hours <= 24 and minutes <= 60 else -1


def is_date(value: str) -> bool:
    return _date(value, 0) == len(value)


def is_time(value: str) -> bool:
    end = _time(value, 0)
    return end >= 0 and _zone(value, end) == len(value)


def is_date_time(value: str) -> bool:
    end = _date(value, 0)
    if end < 0 or value[end : end + 1] != "T":
        return False
    end = _time(value, end + 1)
    return end >= 0 and _zone(value, end) == len(value)
