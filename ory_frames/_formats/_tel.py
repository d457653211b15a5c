"""The ``tel`` format as Kratos checks it: libphonenumber's ``Parse(value, "")`` and ``IsValidNumber``.

Kratos v1.3.1 uses nyaruka/phonenumbers v1.3.6, the Go port of Google's libphonenumber; the
``phonenumbers`` package is the Python port of the same library and its numbering plan metadata.
The Go port reads the text around a number differently in two ways, which this module reproduces
before handing the number itself to the Python port:

- its pattern for the junk to drop after a number is Java's ``[[\\P{N}&&\\P{L}]&&[^#]]+$``, and Go's
  regexp reads ``&&`` literally, so nothing is ever dropped: the whole text from the number's first
  character must pass the library's "viable number" pattern (``+4915112345678}`` fails,
  ``+4915112345678)`` passes, as ``)`` is phone punctuation);
- its extension patterns (after ``ext``, ``x``, ``#``, ``~``, ``,`` or ``;ext=``) take at most 7
  digits, and it knows none of the newer forms (``,,``, ``;`` alone): ``+33612345678~12345678`` is
  one number there, not a number and an extension;
- a number written with letters (three or more: ``+1-800-FLOWERS``) keeps its ``*`` and ``+`` when
  the letters become digits, so such a number with a ``*`` in it is no number at all.

With region ``""`` a number needs a leading ``+``. Validity depends on the metadata each release of
the library carries, so a number allocated or withdrawn recently may be judged differently by a
Kratos built with older metadata.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# The Go port's extension patterns for parsing (phonenumbers.go, EXTN_PATTERNS_FOR_PARSING), case-sensitive.
_GO_EXTENSION = (
    r";ext=(\d{1,7})"
    r"|[ \u00a0\t,]*(?:e?xt(?:ensi(?:o\u0301?|\u00f3))?n?|\uff45?\uff58\uff54\uff4e?|[;,x\uff58#\uff03~\uff5e]|int"
    r"|anexo|\uff49\uff4e\uff54)[:\.\uff0e]?[ \u00a0\t,-]*(\d{1,7})#?"
    r"|[- ]+(\d{1,5})#"
)
_PLUS = "+\uff0b"


@cache
def _patterns() -> tuple[Any, Any, Any]:
    """The library (imported on first use: it loads metadata) and the Go port's two patterns."""
    import phonenumbers
    from phonenumbers import phonenumberutil

    viable = re.compile(f"(?:{phonenumberutil._VALID_PHONE_NUMBER})(?:{_GO_EXTENSION})?")
    extension = re.compile(f"(?:{_GO_EXTENSION})$")
    return phonenumbers, viable, extension


def _viable(text: str) -> bool:
    return len(text) >= 2 and _patterns()[1].fullmatch(text) is not None


_KEYPAD = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999", strict=True))
_ALPHA_NUMBER = re.compile(r"(?:.*?[A-Za-z]){3}.*")  # "." stops at a newline, in Go as here


def _normalize(number: str, phonenumbers: Any) -> str:
    """The Go port's normalize: letters to keypad digits (keeping ASCII digits, ``+`` and ``*``) when
    there are three or more, else every digit (any script) as an ASCII digit."""
    if _ALPHA_NUMBER.fullmatch(number) is None:
        return str(phonenumbers.normalize_digits_only(number))
    out = []
    for ch in number:
        up = ch.upper()
        if ch in "0123456789+*":
            out.append(ch)
        elif up in _KEYPAD:
            out.append(_KEYPAD[up])
    return "".join(out)


def is_tel(value: str) -> bool:
    phonenumbers, _, extension = _patterns()
    util = phonenumbers.phonenumberutil
    if ";phone-context=" in value:  # RFC 3966 form: both ports read it alike
        try:
            return bool(phonenumbers.is_valid_number(phonenumbers.parse(value, None)))
        except phonenumbers.NumberParseException:
            return False
    start = util._VALID_START_CHAR_PATTERN.search(value)
    if start is None:
        return False
    number = value[start.start() :]
    if (second := util._SECOND_NUMBER_START_PATTERN.search(number)) is not None:
        number = number[: second.start()]
    if (isdn := number.find(";isub=")) > 0:
        number = number[:isdn]
    if not _viable(number):
        return False
    found = extension.search(number)
    if found is not None and _viable(number[: found.start()]):
        number = number[: found.start()]
    if not number.startswith(tuple(_PLUS)):
        return False  # no default region: only an international number can be read
    # What is left is the number alone; the Python port gets its digits, with no text it could read differently.
    digits = _normalize(number.lstrip(_PLUS), phonenumbers)
    if not digits.isascii() or not digits.isdigit():
        return False
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse("+" + digits, None)))
    except phonenumbers.NumberParseException:
        return False
