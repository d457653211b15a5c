"""No recorded cassette holds a secret; and find_secrets itself finds what it must (and only that)."""

from __future__ import annotations

from pathlib import Path

import pytest
from secret_scan import find_secrets, scan_paths

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def test_cassettes_exist() -> None:
    assert CASSETTES.is_dir(), "cassettes/ is missing: run `make record`"
    assert any(CASSETTES.rglob("*.json")) or any(CASSETTES.rglob("*.yaml"))


def test_no_secret_in_any_cassette() -> None:
    files = sorted(path for path in CASSETTES.rglob("*") if path.is_file())
    report = scan_paths(files)
    details = "\n".join(
        f"{path.relative_to(CASSETTES)}: {finding}" for path, hits in report.items() for finding in hits
    )
    assert not report, f"secrets in cassettes (re-record with `make record`):\n{details}"


# One line per rule: text that must be flagged (wire notes §§3, 5 and 9 for the shapes).
FLAGGED = [
    ("recording API key", "key=ory_apikey_recording_0123456789abcdef"),
    ("Ory token or key prefix", "cookie jar: ory_st_AbCdEf123"),
    ("Ory token or key prefix", '"token": "ory_pat_xyz12345"'),
    ("Authorization header", '"Authorization": ["Bearer abc"]'),
    ("Authorization header", "authorization: Basic dXNlcjpwYXNz"),
    ("bearer credential", "sent Bearer eyJhbGciOi.abc.def-123"),
    ("cookie header", '"set-cookie": ["ory_session=1"]'),
    ("argon2 hash", '"hashed_password":"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"'),
    ("bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"),
    ("bcrypt hash", "$2b$12$abcdefghijklmnopqrstuv"),
    ("pbkdf2 hash", "$pbkdf2-sha256$i=100000,l=32$c2FsdA$aGFzaA"),
    ("hashed_password", '{"hashed_password": "plainly-not-a-known-hash"}'),
    ("plaintext password", '{"config": {"password": "hunter2"}}'),
    ("OIDC initial token", '{"initial_access_token": "gho_short"}'),
    ("OIDC initial token", '\\"initial_refresh_token\\":\\"1//0abc\\"'),
    ("JSON Web Token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl"),
    ("Google OAuth token", "ya29.a0AfH6SMBxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("GitHub token", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("TOTP URL", "otpauth://totp/Acme:a%40b.c?secret=JBSWY3DPEHPK3PXP"),
    ("totp_url", '{"totp_url": "https://example.org/not-otpauth"}'),
    ("recovery code", '{"recovery_code":"048213"}'),
    ("recovery code", '\\"recovery_code\\": \\"123456\\"'),
    ("lookup code", '{"recovery_codes": [{"code": "a1b2c3d4"}, {"code": "e5f6a7b8"}]}'),
    ("recovery link token", "/self-service/recovery?flow=1f0e&token=5hG8kLmN0pQrS"),
    ("session token", '{"session_token": "abc123def456"}'),
    ("session token", '{"tokenized": "eyJ.abc"}'),
]

CLEAN = [
    '{"hashed_password": "<scrubbed>", "totp_url": "<scrubbed>"}',
    '{"initial_id_token": "", "initial_access_token": "<scrubbed>", "initial_refresh_token": "***"}',
    '{"recovery_code": "<scrubbed>", "recovery_link": "http://h/r?flow=1&token=%3Cscrubbed%3E"}',
    '{"recovery_codes": [{"code": "<scrubbed>", "used_at": "2024-01-01T00:00:00Z"}]}',
    # A JSON Schema marks the password identifier with an object, not a string.
    '{"ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}',
    '</admin/identities?page_size=12&page_token=8f1c2d4e-0000-4000-8000-000000000000>; rel="next"',
    '{"error": {"code": 404, "status": "Not Found", "message": "Unable to locate the resource"}}',
    '{"authentication_methods": [{"method": "password", "aal": "aal1"}], "code": 400}',
    "User-Agent: ory-frames/0.1.0 httpx/0.28.1",
]


@pytest.mark.parametrize(("rule", "text"), FLAGGED)
def test_find_secrets_flags(rule: str, text: str) -> None:
    findings = find_secrets(text)
    assert any(finding.startswith(f"{rule} at ") for finding in findings), findings


@pytest.mark.parametrize("text", CLEAN)
def test_find_secrets_accepts_clean_text(text: str) -> None:
    assert find_secrets(text) == []


def test_findings_do_not_repeat_the_secret() -> None:
    secret = "s3cr3t-session-token-value"
    findings = find_secrets(f'{{"session_token": "{secret}"}} and otpauth://totp/x?secret={secret}')
    assert len(findings) == 2
    assert all(secret not in finding and secret[:4] not in finding for finding in findings)


def test_scan_paths_reports_only_files_with_findings(tmp_path: Path) -> None:
    clean, dirty = tmp_path / "clean.log", tmp_path / "dirty.bin"
    clean.write_text("nothing to see")
    dirty.write_bytes(b"\xff\xfe binary then $argon2id$v=19$...")
    assert list(scan_paths([clean, dirty])) == [dirty]
