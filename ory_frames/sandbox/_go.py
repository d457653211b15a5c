"""Go's standard library as Kratos' answers show it: durations, `%q` quotes, `encoding/json` texts (wire notes §9)."""

from __future__ import annotations

from typing import Any

_NS_PER_UNIT = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_LIMIT = 1 << 63  # a duration is an int64 count of nanoseconds


def _leading_digits(text: str) -> tuple[str, str]:
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[:end], text[end:]


def parse_go_duration(text: str) -> int | None:
    """Nanoseconds of a Go duration as `time.ParseDuration` reads it, or None where Go answers an error.

    The grammar is `[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+` with the units of `_NS_PER_UNIT`; a bare `0` is allowed.
    Go refuses anything beyond the int64 range (about 2 562 047 hours) instead of overflowing.
    """
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return None
    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            return None
        whole, rest = _leading_digits(rest)
        value = int(whole) if whole else 0
        if value > _LIMIT:
            return None
        fraction, scale = 0, 1.0
        has_fraction = False
        if rest[:1] == ".":
            digits, rest = _leading_digits(rest[1:])
            has_fraction = bool(digits)
            for digit in digits:  # Go keeps the digits that fit in an int64 and drops the rest
                grown = fraction * 10 + int(digit)
                if fraction > (_LIMIT - 1) // 10 or grown > _LIMIT:
                    break
                fraction, scale = grown, scale * 10
        if not whole and not has_fraction:
            return None
        end = 0
        while end < len(rest) and not (rest[end] == "." or "0" <= rest[end] <= "9"):
            end += 1
        unit = _NS_PER_UNIT.get(rest[:end])
        rest = rest[end:]
        if unit is None or value > _LIMIT // unit:
            return None
        value *= unit
        if fraction:
            value += int(float(fraction) * (float(unit) / scale))
            if value > _LIMIT:
                return None
        total += value
        if total > _LIMIT:
            return None
    if negative:
        return -total
    return total if total < _LIMIT else None


def _frac(value: int, digits: int) -> tuple[str, int]:
    """Go's fmtFrac: the last `digits` decimal digits as a fraction without trailing zeros, and what is left."""
    shown = ""
    printing = False
    for _ in range(digits):
        digit = value % 10
        printing = printing or digit != 0
        if printing:
            shown = str(digit) + shown
        value //= 10
    return ("." + shown if printing else ""), value


def go_duration_string(nanos: int) -> str:
    """`time.Duration.String`: `-1h0m0s`, `1m30s`, `1.5s`, `500ms`, `1µs`, `0s`."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    left = abs(nanos)
    if left < 1_000_000_000:
        if left < 1_000:
            return f"{sign}{left}ns"
        unit, digits = ("µs", 3) if left < 1_000_000 else ("ms", 6)
        frac, left = _frac(left, digits)
        return f"{sign}{left}{frac}{unit}"
    frac, left = _frac(left, 9)
    out = f"{left % 60}{frac}s"
    left //= 60
    if left:
        out = f"{left % 60}m{out}"
        left //= 60
        if left:
            out = f"{left}h{out}"
    return sign + out


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """`%q` of a Go string (strconv.Quote): printable runes kept, the others escaped."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_json_string(text: str) -> str:
    """A string as Go's `json.Marshal` writes it: HTML characters and U+2028/U+2029 escaped too."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif code < 0x20 or ch in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_kind(value: Any) -> str:
    """The JSON kind Go names in its unmarshal errors (`null` never fails, so it has none)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"
