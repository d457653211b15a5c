"""find_secrets: a scanner for credentials that must never reach an artifact (cassettes, notebooks, logs, files).

Used by tests over ``cassettes/`` and reusable for any text: notebook outputs, exported files, captured logs.
A finding names the rule and shows only a short, truncated excerpt, so a failing test does not leak the
secret into CI logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# Values that mean "already scrubbed": the cassette marker, its URL-encoded form and _redact's mask.
SCRUBBED_VALUES: frozenset[str] = frozenset({"", "<scrubbed>", "%3Cscrubbed%3E", "***", "%2A%2A%2A"})

# The key the cassette recorder generates (tests/cassette/conftest.py); any Ory key or token prefix.
RECORDING_KEY_PATTERN = r"ory_apikey_recording_[0-9a-f]{8,}"

_VALUE = r"""\s*[:=]\s*"?(?P<value>[^"\s,}&]*)"""

# (rule name, pattern, whether the named group "value" must be something other than a scrubbed marker)
_RULES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("recording API key", re.compile(RECORDING_KEY_PATTERN), False),
    ("Ory token or key prefix", re.compile(r"\bory_(?:st|pat|apikey|at|ht|rt|ac)_[A-Za-z0-9]"), False),
    ("Authorization header", re.compile(r"""(?i)["']?\b(?:proxy-)?authorization["']?\s*:"""), False),
    ("bearer credential", re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9_\-.~+/=]{8,})"), True),
    ("cookie header", re.compile(r"""(?i)["'](?:set-)?cookie["']\s*:"""), False),
    ("argon2 hash", re.compile(r"\$argon2(?:id|i|d)\$"), False),
    ("bcrypt hash", re.compile(r"\$2[abxy]?\$\d\d\$"), False),
    ("pbkdf2 hash", re.compile(r"\$pbkdf2(?:-sha\d+)?\$"), False),
    ("scrypt hash", re.compile(r"\$(?:scrypt|firescrypt|sha\d+|ssha\d*|md5-crypt)\$"), False),
    ("hashed_password", re.compile(r'"hashed_password"' + _VALUE), True),
    ("plaintext password", re.compile(r'"password"\s*:\s*"(?P<value>[^"]*)"'), True),
    ("OIDC initial token", re.compile(r'"initial_(?:id|access|refresh)_token"' + _VALUE), True),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), False),
    ("Google OAuth token", re.compile(r"\bya29\.[A-Za-z0-9_\-]{20,}|\b1//0[A-Za-z0-9_\-]{20,}"), False),
    ("GitHub token", re.compile(r"\bgh[opsru]_[A-Za-z0-9]{20,}"), False),
    ("TOTP URL", re.compile(r"otpauth://", re.IGNORECASE), False),
    ("totp_url", re.compile(r'"totp_url"' + _VALUE), True),
    ("recovery code", re.compile(r'"recovery_code"\s*:\s*"(?P<value>[^"]*)"'), True),
    ("lookup code", re.compile(r'"(?:recovery_)?codes"\s*:\s*\[\s*\{[^\]]*?"code"\s*:\s*"(?P<value>[^"]*)"'), True),
    ("recovery link token", re.compile(r"[?&]token=(?P<value>[^&\"'\s#<>]*)"), True),
    ("session token", re.compile(r'"(?:session_token|tokenized)"' + _VALUE), True),
)


def _unescape(text: str) -> str:
    """Text with JSON string escapes for quotes and slashes undone, so JSON inside JSON scans like JSON."""
    return text.replace('\\\\"', '"').replace('\\"', '"').replace("\\/", "/")


def _excerpt(match: re.Match[str]) -> str:
    """A short excerpt that identifies a finding without repeating the secret: at most 3 of its characters."""
    if "value" in match.re.groupindex and match.group("value"):
        head = match.string[match.start() : match.start("value")]
        text = head[-40:] + match.group("value")[:3] + "…"
    else:
        text = match.group(0)[:16] + ("…" if len(match.group(0)) > 16 else "")
    return " ".join(text.split())


def find_secrets(text: str) -> list[str]:
    """Every credential found in the text, as ``"<rule> at <offset>: <short excerpt>"`` (empty if clean).

    Parameters
    ----------
    text
        Any text: a cassette, notebook JSON, a log, an export decoded as UTF-8. JSON-escaped quotes
        (a body stored as a JSON string) are undone before scanning.

    Examples
    --------
    >>> find_secrets('{"hashed_password": "<scrubbed>"}')
    []
    >>> find_secrets('{"recovery_code": "123456"}')
    ['recovery code at 1: "recovery_code": "123…']
    """
    found: list[str] = []
    scanned = _unescape(text)
    for name, pattern, check_value in _RULES:
        for match in pattern.finditer(scanned):
            if check_value and match.group("value") in SCRUBBED_VALUES:
                continue
            found.append(f"{name} at {match.start()}: {_excerpt(match)}")
    return found


def scan_paths(paths: Iterable[Path]) -> dict[Path, list[str]]:
    """``find_secrets`` over files (decoded as UTF-8, undecodable bytes replaced); only files with findings."""
    report: dict[Path, list[str]] = {}
    for path in paths:
        findings = find_secrets(path.read_bytes().decode("utf-8", errors="replace"))
        if findings:
            report[path] = findings
    return report
