"""`ory-frames subject report|erase` against a seeded sandbox: files, exit codes, one-line errors, no key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from drift_support import running

from ory_frames import Client, NotFoundError
from ory_frames.cli import main

pytest.importorskip("uvicorn")

KEY = "ory_pat_cli_subject_0123456789abcdef"


@pytest.fixture(scope="module")
def url(server_mode: str) -> Iterator[str]:
    with running(seed_identities=80, seed=21, api_key=KEY) as base:
        yield base


@pytest.fixture
def env(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """URL and key in the environment, as a user sets them."""
    monkeypatch.setenv("ORY_SDK_URL", url)
    monkeypatch.setenv("ORY_API_KEY", KEY)
    return url


@pytest.fixture(scope="module")
def people(url: str) -> list[dict[str, Any]]:
    """Seeded default-schema identities with sessions, each handed to one test."""
    found = []
    with Client(url, api_key=KEY) as client:
        for item in client.list_identities(page_size=500):
            if item["schema_id"] == "default" and len(client.list_identity_sessions(item["id"])) >= 1:
                found.append(dict(item))
    assert len(found) >= 4
    return found


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return code, out, err


def _exists(url: str, identity_id: str) -> bool:
    with Client(url, api_key=KEY) as client:
        try:
            client.get_identity(identity_id)
        except NotFoundError:
            return False
    return True


def test_report_writes_both_files(
    env: str, people: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    person = people[0]
    code, out, err = _run(["subject", "report", person["traits"]["email"], "--out", str(tmp_path / "out")], capsys)
    assert (code, err) == (0, "")
    written = tmp_path / "out" / f"subject-{person['id']}.json"
    assert json.loads(written.read_text(encoding="utf-8"))["identity_id"] == person["id"]
    assert (tmp_path / "out" / f"subject-{person['id']}.html").is_file()
    assert out.startswith(f"identity {person['id']}: ") and str(written) in out


def test_report_with_url_flag_and_unknown_subject(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    monkeypatch.setenv("ORY_API_KEY", KEY)
    code, out, err = _run(["subject", "report", "nobody@example.org", "--out", str(tmp_path), "--url", url], capsys)
    assert code == 1 and out == ""
    assert err.startswith("ory-frames subject: ") and err.count("\n") == 1
    assert "no identity matches 'nobody@example.org'" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_erase_without_yes_deletes_nothing_and_exits_2(
    env: str, people: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    person = people[1]
    code, out, err = _run(["subject", "erase", person["traits"]["email"]], capsys)
    assert code == 2
    assert out.startswith(f"would erase identity {person['id']} (found by credential")
    assert "session(s)" in out and "--yes" in err
    assert _exists(env, person["id"])


def test_erase_with_yes_then_again(
    env: str, people: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    person = people[2]
    email = person["traits"]["email"]
    receipt_path = tmp_path / "receipt.json"
    code, out, err = _run(["subject", "erase", email, "--yes", "--receipt", str(receipt_path)], capsys)
    assert (code, err) == (0, "")
    assert f"identity {person['id']}: erased" in out and "read back: gone" in out
    assert not _exists(env, person["id"])
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    assert (receipt["identity_id"], receipt["status"], receipt["removed"]["identity"]) == (person["id"], "erased", 1)
    assert email not in receipt_path.read_text(encoding="utf-8") and email not in out

    code, out, err = _run(["subject", "erase", person["id"], "--yes"], capsys)
    assert (code, err) == (0, "")
    assert f"identity {person['id']}: already erased" in out

    code, out, err = _run(["subject", "erase", person["id"]], capsys)
    assert code == 2 and "would delete nothing" in out

    code, out, err = _run(["subject", "erase", email, "--yes"], capsys)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "no identity matches" in err and "erase by identity id" in err


@pytest.mark.newer_kratos("external_id came later")
def test_erase_of_a_text_naming_two_identities_fails_listing_both(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}"
    with Client(env, api_key=KEY) as client:
        first = client.create_identity({"schema_id": "username", "traits": {"username": shared}}).id
        second = client.create_identity(
            {"schema_id": "default", "traits": {"email": f"{shared}@example.org"}, "external_id": shared}
        ).id
    code, _out, err = _run(["subject", "erase", shared, "--yes"], capsys)
    assert code == 1 and first in err and second in err and err.count("\n") == 1
    assert _exists(env, first) and _exists(env, second)
    code, out, _err = _run(["subject", "erase", shared, "--yes", "--by", "external_id"], capsys)
    assert code == 0 and f"identity {second}: erased 0 session(s)" in out
    assert _exists(env, first) and not _exists(env, second)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["subject"], "required: ACTION"),
        (["subject", "report", "ada@example.org"], "--out"),
        (["subject", "erase"], "IDENTITY"),
        (["subject", "erase", "x", "--by", "email"], "invalid choice: 'email'"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(argv, capsys)
    assert code == 2 and expected in err


def test_no_url_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    monkeypatch.setenv("ORY_API_KEY", KEY)
    code, _out, err = _run(["subject", "erase", "ada@example.org", "--yes"], capsys)
    assert code == 1 and "no Ory URL" in err and err.count("\n") == 1
