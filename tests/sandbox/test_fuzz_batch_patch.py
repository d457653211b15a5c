"""Batch-create and JSON Patch bodies as Kratos decodes them (wire notes §4, §6); found by the Schemathesis run."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import assert_error, assert_success, make_identity

pytestmark = pytest.mark.conformance  # pins Kratos' exact error texts (drift adds an error id)


@pytest.fixture
def person(app: Any) -> dict[str, Any]:
    doc = make_identity("fuzz@example.com")
    app.state.store.insert_identities([doc])
    return doc


# ---- batch create: jsonx.NewStrictDecoder into identity.BatchPatchIdentitiesBody --------------------------------


@pytest.mark.parametrize(("value", "kind"), [({}, "object"), ("", "string"), (0, "number"), (False, "bool")])
def test_batch_identities_must_be_a_list(client: Any, value: Any, kind: str) -> None:
    err = assert_error(client.patch("/admin/identities", json={"identities": value}), 400)
    assert err == {
        "code": 500,
        "status": "Internal Server Error",
        "message": f"json: cannot unmarshal {kind} into Go struct field BatchPatchIdentitiesBody.identities of type "
        "[]*identity.BatchIdentityPatch",
    }


def test_batch_identities_null_or_empty_is_an_empty_answer(client: Any) -> None:
    assert assert_success(client.patch("/admin/identities", json={"identities": None})) == {"identities": []}
    assert assert_success(client.patch("/admin/identities", json={"identities": []})) == {"identities": []}
    err = assert_error(client.patch("/admin/identities", json={"identities": ["x"]}), 400)
    assert err["message"] == (
        "json: cannot unmarshal string into Go struct field BatchPatchIdentitiesBody.identities of type "
        "identity.BatchIdentityPatch"
    )


# ---- JSON Patch: identity/handler.go (applyRegionPatchOps, patch), oryx/jsonx/patch.go, evanphx/json-patch v5 ------


def _patch(client: Any, ident: str, ops: Any) -> Any:
    return client.patch(f"/admin/identities/{ident}", json=ops)


@pytest.mark.parametrize("op", ["replace", "add"])
def test_patch_without_value_is_refused_by_the_patch_decoder(client: Any, person: dict[str, Any], op: str) -> None:
    resp = _patch(client, person["id"], [{"op": op, "path": "/traits/nickname"}])
    err = assert_error(resp, 400, reason="failed to apply JSON patch")
    assert err["message"] == (
        f'invalid operation {{"op":"{op}","path":"/traits/nickname"}}: failed to decode \'value\': '
        "operation, missing value field: missing value"
    )


def test_patch_with_a_null_value_stores_null(client: Any, person: dict[str, Any]) -> None:
    body = assert_success(_patch(client, person["id"], [{"op": "replace", "path": "/metadata_public", "value": None}]))
    assert body["metadata_public"] is None


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"op": 1, "path": "/traits/x", "value": 1},
            "cannot unmarshal number into Go struct field patchOp.op of type string",
        ),
        (
            {"op": "add", "path": {}, "value": 1},
            "cannot unmarshal object into Go struct field patchOp.path of type string",
        ),
        (
            {"op": "move", "path": "/traits/x", "from": ["/traits"]},
            "cannot unmarshal array into Go struct field patchOp.from of type string",
        ),
        (
            {"op": "add", "path": "/traits/x", "from": True, "value": 1},
            "cannot unmarshal bool into Go struct field patchOp.from of type string",
        ),
        ("add", "cannot unmarshal string into Go value of type identity.patchOp"),
    ],
)
def test_patch_fields_that_are_not_strings(client: Any, person: dict[str, Any], op: Any, message: str) -> None:
    err = assert_error(_patch(client, person["id"], [op]), 400, reason="failed to unmarshal JSON patch")
    assert err["message"] == "json: " + message


def test_patch_operations_the_decoder_cannot_name(client: Any, person: dict[str, Any]) -> None:
    ident = person["id"]
    err = assert_error(_patch(client, ident, [{"op": "frob", "path": "/x"}]), 400, reason="failed to apply JSON patch")
    assert err["message"] == 'invalid operation {"op":"frob","path":"/x"}: unsupported operation'
    err = assert_error(_patch(client, ident, [{"path": "/x", "value": 1}]), 400, reason="failed to apply JSON patch")
    assert err["message"] == 'invalid operation {"op":"","path":"/x","value":1}: unsupported operation'
    err = assert_error(_patch(client, ident, [{"op": "copy", "path": "/x"}]), 400, reason="failed to apply JSON patch")
    assert err["message"] == (
        'invalid operation {"op":"copy","path":"/x"}: failed to decode \'from\': operation, missing from field: '
        "missing value"
    )
    # the whole patch is decoded before any operation is checked against the allow and deny lists
    ops = [{"op": "test", "path": "/state", "value": "active"}, {"op": "add", "path": "/x"}]
    err = assert_error(_patch(client, ident, ops), 400, reason="failed to apply JSON patch")
    assert err["message"].startswith('invalid operation {"op":"add","path":"/x"}')
