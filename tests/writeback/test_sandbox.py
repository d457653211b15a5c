"""The full round trip against the sandbox: read, edit, plan, apply, read again."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
from drift_support import running

from ory_frames._errors import InvalidInputError
from ory_frames.client._client import Client
from ory_frames.frames import read_identities
from ory_frames.writeback import plan_changes

EDITABLE = [
    "schema_id",
    "state",
    "metadata_public",
    "metadata_admin",
    "traits.email",
    "traits.name.first",
    "traits.age",
]


@pytest.fixture(scope="module")
def sandbox(server_mode: str) -> Iterator[tuple[str, Client]]:
    with running(seed_identities=40, seed=7) as url, Client(url) as client:
        yield url, client


def _requests(url: str) -> int:
    return int(httpx.get(url + "/__sandbox/stats").json()["total"])


# Kratos v1.3.1 keeps updated_at at the creation time (fixed in v25.4.0, ory/kratos#4131), so a change to fields
# the patch does not touch goes unseen there: tests/kratos/test_writeback_on_kratos.py pins what it does see.
@pytest.mark.newer_kratos("updated_at advances on PATCH and PUT since v25.4.0 (ory/kratos#4131)")
def test_round_trip(sandbox: tuple[str, Client]) -> None:
    _url, client = sandbox
    original = read_identities(client)
    default = original.index[original["schema_id"] == "default"].tolist()
    assert len(default) >= 6
    edited = original.copy()
    edited["metadata_admin"] = edited["metadata_admin"].astype(object)
    edited.loc[default[0], "traits.name.first"] = "Édith"
    edited.loc[default[1], "state"] = "inactive" if original.loc[default[1], "state"] == "active" else "active"
    edited.at[default[2], "metadata_admin"] = {"reviewed": True, "score": 7}
    edited.loc[default[3], "traits.age"] = 42
    conflicted = original.loc[default[4], "id"]
    edited.loc[default[4], "traits.name.first"] = "Mine"
    gone = [default[5]]
    edited = edited.drop(index=gone)
    new = pd.DataFrame(
        [
            {"schema_id": "default", "traits.email": "round.trip1@example.org", "password": "Round-Trip-Pass-1"},
            {"schema_id": "default", "traits.email": "round.trip2@example.org", "traits.age": 30},
        ],
        index=[10_001, 10_002],
    )
    edited = pd.concat([edited, new])
    plan = plan_changes(original, edited, allow_delete=True)
    assert plan.summary().to_dict() == {"create": 2, "patch": 5, "delete": 1, "skip": 0}
    assert not plan.preview().empty
    # Someone else changes one identity between our read and our apply.
    client.patch_identity(conflicted, [{"op": "replace", "path": "/metadata_public", "value": {"by": "them"}}])

    report = plan.apply(client, workers=4)
    statuses = dict(zip(report["identity_id"], report["status"], strict=True))
    assert statuses.pop(conflicted) == "conflict"
    assert set(statuses.values()) == {"applied"}, report

    after = read_identities(client).set_index("id")
    new_ids = report.loc[report["action"] == "create"].set_index("row")["identity_id"]
    expected = edited.copy()
    expected.loc[new.index, "id"] = [new_ids[10_001], new_ids[10_002]]
    expected.loc[new.index, "state"] = "active"
    expected = expected[expected["id"] != conflicted].set_index("id")
    assert original.loc[gone[0], "id"] not in after.index
    got = after.loc[expected.index, EDITABLE].astype(object)
    want = expected[EDITABLE].astype(object)
    pd.testing.assert_frame_equal(got.where(got.notna(), None), want.where(want.notna(), None), check_names=False)
    # The conflicting identity kept the other writer's change, and not ours.
    assert after.loc[conflicted, "traits.name.first"] != "Mine"
    assert after.loc[conflicted, "metadata_public"] == {"by": "them"}


@pytest.mark.sandbox_only("counts requests through the sandbox's request log")
def test_invalid_plan_sends_nothing(sandbox: tuple[str, Client]) -> None:
    url, client = sandbox
    original = read_identities(client)
    before = _requests(url)
    edited = original.copy()
    edited["traits.age"] = edited["traits.age"].astype(object)
    edited.loc[original["schema_id"] == "default", "traits.age"] = 3.5
    with pytest.raises(InvalidInputError) as info:
        plan_changes(original, edited).apply(client)
    assert all("3.5 is not an integer" in p.reason for p in info.value.problems)
    assert _requests(url) == before
