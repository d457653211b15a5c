"""Password hashes Kratos can import: the family a hash belongs to, and whether it parses the way Kratos reads it.

Kratos recognises a hash by its prefix (`hash/hash_comparator.go`, `supportedHashers`). On import it then
decodes the families whose cost is chosen by the hash itself (bcrypt, argon2, pbkdf2, scrypt, Firebase
scrypt) and checks that cost against `hash/hash_limits.go` (`ValidateImportedHash`); the other families
pass on their prefix alone. `identity/handler_import.go` (`ImportPasswordCredentials`) turns each outcome
into a 400 with its own reason.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Literal

from ._wire import bad_request, go_atoi

UNKNOWN_FORMAT = "The imported password does not match any known hash format."
UNPARSABLE = "The imported password hash could not be parsed."
OUT_OF_BOUNDS = (
    "The imported password hash declares cost parameters that exceed the bounds enforced by Ory. "
    "Re-hash the password with a more conservative configuration before importing."
)


class HashParseError(ValueError):
    """A hash of a known family that Kratos' decoder rejects (wrong field count, version, number or base64)."""


class HashBoundsError(ValueError):
    """A cost parameter outside the bounds of `hash/hash_limits.go`."""


@dataclass(frozen=True)
class Param:
    """One `key=%d` of a hash's parameter field, scanned by `fmt.Sscanf` into a Go unsigned integer."""

    key: str
    bits: int  # width of the Go integer it is scanned into: a larger value is a scan error, not a bounds error
    low: int | None = None  # inclusive bounds from hash/hash_limits.go; None where Kratos checks nothing
    high: int | None = None


@dataclass(frozen=True)
class Layout:
    """A `$id$[v=N$]k=%d,…$b64$b64…` hash as Kratos' `decode*Hash` functions split and read it."""

    parts: int  # fields after splitting on "$", the empty one before the first "$" included
    params: tuple[Param, ...]
    encoding: Literal["raw", "padded"]  # base64.RawStdEncoding or base64.StdEncoding, both Strict()
    version: int | None = None  # argon2's `v=%d` field, which must equal this


@dataclass(frozen=True)
class BcryptRules:
    """What `bcrypt.Cost` (golang.org/x/crypto/bcrypt) and `validateBcryptHashCost` check."""

    min_length: int = 59  # bytes; a shorter hash is ErrHashTooShort
    cost_range: tuple[int, int] = (4, 31)  # bcrypt's own range: outside it is InvalidCostError
    max_cost: int = 15  # hash/hash_limits.go maxBcryptCost


@dataclass(frozen=True)
class HashFormat:
    """A family Kratos recognises: its name in `supportedHashers`, its prefix, and what import checks."""

    name: str
    prefix: re.Pattern[str]
    rules: Layout | BcryptRules | None  # None: accepted on import by its prefix alone


_ARGON2 = Layout(
    parts=6,
    version=19,
    params=(Param("m", 64, 1, 1 << 20), Param("t", 32, 1, 10), Param("p", 8, 1, 16)),
    encoding="raw",
)

# In Kratos' order (hash/hash_comparator.go supportedHashers); bounds from hash/hash_limits.go.
FORMATS: tuple[HashFormat, ...] = (
    HashFormat("md5crypt", re.compile(r"\$md5-crypt\$"), None),
    HashFormat("bcrypt", re.compile(r"\$2[abzy]?\$"), BcryptRules()),
    HashFormat("sha256crypt", re.compile(r"\$sha256-crypt\$"), None),
    HashFormat("sha512crypt", re.compile(r"\$sha512-crypt\$"), None),
    HashFormat("argon2id", re.compile(r"\$argon2id\$"), _ARGON2),
    HashFormat("argon2i", re.compile(r"\$argon2i\$"), _ARGON2),
    HashFormat(
        "pbkdf2",
        re.compile(r"\$pbkdf2-sha[0-9]{1,3}\$"),
        Layout(parts=5, params=(Param("i", 32, 1, 10_000_000), Param("l", 32)), encoding="raw"),
    ),
    HashFormat(
        "scrypt",
        re.compile(r"\$scrypt\$"),
        # `ln` is scrypt's N itself here, not its logarithm (hash/hash_comparator.go decodeScryptHash)
        Layout(
            parts=5,
            params=(Param("ln", 32, 1, 1 << 17), Param("r", 32, 1, 8), Param("p", 32, 1, 10)),
            encoding="padded",
        ),
    ),
    HashFormat("ssha", re.compile(r"\{SSHA(256|512)?\}"), None),
    HashFormat("sha", re.compile(r"\$sha(1|256|512)\$"), None),
    HashFormat(
        "firebasescrypt",
        re.compile(r"\$firescrypt\$"),
        # salt, hash, salt separator and signer key; `ln` is log2(N) here, and 0 passes
        Layout(
            parts=7,
            params=(Param("ln", 32, None, 17), Param("r", 32, 1, 8), Param("p", 32, 1, 10)),
            encoding="padded",
        ),
    ),
    HashFormat("md5", re.compile(r"\$md5\$"), None),
    HashFormat("hmac", re.compile(r"\$hmac-(md4|md5|sha1|sha224|sha256|sha384|sha512)\$"), None),
)


def hash_format(hashed: str) -> HashFormat | None:
    """The family Kratos would recognise the hash as (`hash.IsValidHashFormat`), or None."""
    return next((f for f in FORMATS if f.prefix.match(hashed)), None)


def check_imported_hash(hashed: str) -> None:
    """Raise the 400 Kratos answers for a hash it will not import (`ImportPasswordCredentials`); else return."""
    family = hash_format(hashed)
    if family is None:
        raise bad_request(UNKNOWN_FORMAT)
    try:
        parse_hash(family, hashed)
    except HashBoundsError:
        raise bad_request(OUT_OF_BOUNDS) from None
    except HashParseError:
        raise bad_request(UNPARSABLE) from None


def parse_hash(family: HashFormat, hashed: str) -> None:
    """Parse a hash of a known family as Kratos' import check does; raise HashParseError or HashBoundsError."""
    rules = family.rules
    if isinstance(rules, BcryptRules):
        _check_bcrypt(rules, hashed)
    elif isinstance(rules, Layout):
        _check_layout(rules, hashed)


def _check_bcrypt(rules: BcryptRules, hashed: str) -> None:
    raw = hashed.encode()
    if len(raw) < rules.min_length:
        raise HashParseError("crypto/bcrypt: hashedSecret too short to be a bcrypted password")
    start = 3 if raw[2:3] == b"$" else 4  # `$2$` has no minor version letter
    try:
        cost = go_atoi(raw[start : start + 2].decode("latin-1"))
    except ValueError as exc:
        raise HashParseError(str(exc)) from None
    low, high = rules.cost_range
    if not low <= cost <= high:
        raise HashParseError(f"crypto/bcrypt: cost {cost} is outside allowed inclusive range {low}..{high}")
    if cost > rules.max_cost:
        raise HashBoundsError(f"bcrypt cost={cost} exceeds max {rules.max_cost}")


def _check_layout(layout: Layout, hashed: str) -> None:
    parts = hashed.split("$")
    if len(parts) != layout.parts:
        raise HashParseError("the encoded hash is not in the correct format")
    field = 2
    if layout.version is not None:
        start = _expect(parts[field], "v=", 0)
        version, _ = _scan_int(parts[field], start, bits=64, signed=True)
        if version != layout.version:
            raise HashParseError("incompatible version of argon2")
        field += 1
    values = _scan_params(parts[field], layout.params)
    for param, value in zip(layout.params, values, strict=True):
        if (param.low is not None and value < param.low) or (param.high is not None and value > param.high):
            raise HashBoundsError(f"{param.key}={value} not in [{param.low}, {param.high}]")
    for encoded in parts[field + 1 :]:
        go_b64decode(encoded, padded=layout.encoding == "padded")


# ---- Go's fmt.Sscanf("k=%d,k=%d", …) for the parameter field --------------------------------------------------

# fmt/scan.go isSpace: the runes SkipSpace passes over before a number ("\n" is an error in Sscanf).
_GO_SPACES = frozenset(
    "\t\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def _scan_params(text: str, params: tuple[Param, ...]) -> list[int]:
    values = []
    pos = 0
    for index, param in enumerate(params):
        pos = _expect(text, ("," if index else "") + param.key + "=", pos)
        value, pos = _scan_int(text, pos, bits=param.bits, signed=False)
        values.append(value)
    return values  # like Sscanf, text after the last number is ignored


def _expect(text: str, literal: str, pos: int) -> int:
    """Match the format's literal text rune for rune, as Sscanf does."""
    if not text.startswith(literal, pos):
        raise HashParseError("input does not match format")
    return pos + len(literal)


def _scan_int(text: str, pos: int, *, bits: int, signed: bool) -> tuple[int, int]:
    """`%d` into a Go integer of `bits` width: spaces skipped, a sign only for signed targets, decimal digits."""
    while pos < len(text) and (text[pos] in _GO_SPACES or text[pos] == "\n"):
        if text[pos] == "\n":
            raise HashParseError("unexpected newline")
        pos += 1
    if pos == len(text):
        raise HashParseError("unexpected EOF")
    start = pos
    if signed and text[pos] in "+-":
        pos += 1
    digits = pos
    while pos < len(text) and "0" <= text[pos] <= "9":
        pos += 1
    if pos == digits:
        raise HashParseError("expected integer")
    value = int(text[start:pos])
    limit = 1 << (bits - 1 if signed else bits)
    if not (-limit if signed else 0) <= value < limit:
        raise HashParseError(f"integer overflow on token {text[start:pos]}")
    return value, pos


# ---- Go's encoding/base64 with Strict() -----------------------------------------------------------------------

_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_CHARS = frozenset(_B64_ALPHABET)


def go_b64decode(text: str, *, padded: bool) -> bytes:
    """Decode like Go's `base64.StdEncoding.Strict()` (padded) or `RawStdEncoding.Strict()`; ValueError if Go fails.

    Go skips CR and LF anywhere, wants `=` padding exactly when padded, and in strict mode refuses
    non-zero bits left over in the last character.
    """
    data = text.replace("\r", "").replace("\n", "")
    body = data.rstrip("=") if padded else data
    pad = len(data) - len(body)
    if padded and (len(data) % 4 or pad > 2 or (pad and len(body) % 4 != 4 - pad)):
        raise HashParseError("illegal base64 data: bad padding")
    if len(body) % 4 == 1 or not _B64_CHARS.issuperset(body):
        raise HashParseError("illegal base64 data")
    rest = len(body) % 4
    if rest and _B64_ALPHABET.index(body[-1]) & (0x0F if rest == 2 else 0x03):
        raise HashParseError("illegal base64 data: non-zero trailing bits")
    return base64.b64decode(body + "=" * (-len(body) % 4))
