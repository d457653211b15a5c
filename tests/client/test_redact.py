"""Masking of secrets in URLs, headers, text and credential configs."""

from __future__ import annotations

import pickle

import pytest

from ory_frames._redact import (
    MASK,
    SECRET_CREDENTIAL_FIELDS,
    Secret,
    mask_headers,
    mask_text,
    mask_url,
    redact_credentials,
)


def test_mask_url_query_and_userinfo():
    link = "https://acme.example/self-service/recovery?flow=f1&token=abcdef"
    assert mask_url(link) == "https://acme.example/self-service/recovery?flow=f1&token=***"
    assert mask_url("https://user:pw@host.example/x") == "https://user:***@host.example/x"
    assert (
        mask_url("https://host.example/admin/identities?page_size=5")
        == "https://host.example/admin/identities?page_size=5"
    )


def test_mask_headers():
    masked = mask_headers({"Authorization": "Bearer ory_pat_x", "Cookie": "a=b", "Accept": "application/json"})
    assert masked == {"Authorization": MASK, "Cookie": MASK, "Accept": "application/json"}


def test_mask_text():
    assert mask_text("key is hunter2!", ["hunter2"]) == "key is ***!"
    assert mask_text("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer ***"
    assert "ory_pat_" not in mask_text("token ory_pat_abcdefghijklmnop leaked")
    assert mask_text("nothing here", [None, ""]) == "nothing here"


def test_secret_credential_fields_cover_every_secret_field():
    # wire notes §§2, 3, 5: hashed passwords, plaintext passwords, OIDC tokens, TOTP URLs, lookup codes.
    assert {
        "hashed_password",
        "password",
        "initial_id_token",
        "initial_access_token",
        "initial_refresh_token",
        "totp_url",
        "codes",
    } <= SECRET_CREDENTIAL_FIELDS


def test_redact_credentials_masks_only_inside_config():
    identity = {
        "id": "x",
        "traits": {"password": "not a credential field here"},
        "credentials": {
            "password": {"type": "password", "identifiers": ["a@b.c"], "config": {"hashed_password": "$argon2id$..."}},
            "oidc": {
                "type": "oidc",
                "config": {
                    "providers": [
                        {"provider": "google", "subject": "s", "initial_id_token": "eyJ", "initial_access_token": ""}
                    ]
                },
            },
            "totp": {"type": "totp", "config": {"totp_url": "otpauth://totp/x?secret=ABC"}},
        },
    }
    out = redact_credentials(identity)
    creds = out["credentials"]
    assert creds["password"]["config"]["hashed_password"] == MASK
    assert creds["password"]["identifiers"] == ["a@b.c"]
    assert creds["oidc"]["config"]["providers"][0] == {
        "provider": "google",
        "subject": "s",
        "initial_id_token": MASK,
        "initial_access_token": "",  # empty stays empty: nothing to hide
    }
    assert creds["totp"]["config"]["totp_url"] == MASK
    assert out["traits"] == identity["traits"]
    assert identity["credentials"]["password"]["config"]["hashed_password"] == "$argon2id$..."  # input untouched


def test_secret_never_prints():
    secret = Secret("hunter2")
    assert repr(secret) == str(secret) == f"{secret}" == MASK
    assert "hunter2" not in repr({"k": secret})
    assert secret.reveal() == "hunter2"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
