"""scripts/install-kratos.sh and scripts/kratos-config/: the binary is there, says its version, and serves both APIs."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
import kratos_support
import pytest

pytestmark = pytest.mark.kratos

SCRIPT = kratos_support.ROOT / "scripts" / "install-kratos.sh"


def test_a_second_install_prints_the_binary_path_last_and_builds_nothing() -> None:
    start = time.monotonic()
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, check=True, timeout=60)
    took = time.monotonic() - start
    binary = kratos_support.kratos_binary()
    assert binary is not None
    assert done.stdout.splitlines()[-1] == str(binary) and binary.is_absolute()
    assert "already built" in done.stderr
    print(f"install-kratos.sh with the binary present: {took:.2f} s")  # timings are printed, not asserted
    asked = subprocess.run(["bash", str(SCRIPT), "--installed"], capture_output=True, text=True, timeout=60)
    assert asked.returncode == 0 and asked.stdout.strip() == str(binary)


def test_the_binary_is_the_pinned_version() -> None:
    binary = kratos_support.kratos_binary()
    assert binary is not None
    out = subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True, timeout=30).stdout
    assert kratos_support.kratos_version() in out


def test_the_config_serves_the_admin_and_public_apis(kratos: kratos_support.Kratos) -> None:
    answer = httpx.get(kratos.admin_url + "/admin/identities")
    assert answer.status_code == 200 and answer.json() == []
    assert 'rel="first"' in answer.headers["link"]
    schemas = httpx.get(kratos.public_url + "/schemas").json()
    assert [s["id"] for s in schemas] == ["default", "username", "phone", "b2b"]


def test_the_config_schemas_are_the_sandbox_schemas() -> None:
    """The same four schemas, except that v1.3.1 cannot recover by SMS: phone.json lacks that one key."""
    bundled = kratos_support.ROOT / "ory_frames" / "sandbox" / "schemas"
    used = kratos_support.CONFIG_DIR / "schemas"
    for name in ("default", "username", "b2b"):
        assert json.loads((used / f"{name}.json").read_text()) == json.loads((bundled / f"{name}.json").read_text())
    phone = json.loads((bundled / "phone.json").read_text())
    del phone["properties"]["traits"]["properties"]["phone"]["ory.sh/kratos"]["recovery"]
    assert json.loads((used / "phone.json").read_text()) == phone


def test_kratos_refuses_what_the_phone_schema_would_need_from_a_newer_kratos(tmp_path) -> None:
    """Why phone.json differs: v1.3.1's config validation refuses recovery via sms (docs/how-to/real-kratos.md)."""
    binary = kratos_support.kratos_binary()
    assert binary is not None
    config = (
        (kratos_support.CONFIG_DIR / "kratos.yml")
        .read_text()
        .replace(
            "file://schemas/phone.json", "file://" + str(kratos_support.ROOT / "ory_frames/sandbox/schemas/phone.json")
        )
    )
    (tmp_path / "kratos.yml").write_text(config)
    done = subprocess.run(
        [str(binary), "serve", "--config", str(tmp_path / "kratos.yml"), "--dev"],
        cwd=kratos_support.CONFIG_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "recovery/via" in done.stdout + done.stderr
