"""Write-back under faults: every operation is reported exactly once, what is reported applied is on the server,
no identity is created twice, and re-running the plan finishes the rest.

Size: 400 seeded identities; the plan creates 60 (20 with a password), patches 80 and deletes 40, with 8 % of
responses faulty (benchmarks/soak.py runs a larger plan).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest
from drift_support import running
from reliability_support import fast_client, stats

from ory_frames import Client
from ory_frames.frames import read_identities
from ory_frames.writeback import Plan, plan_changes

FAULTS = "429=0.015,500=0.015,502=0.01,503=0.01,reset=0.01,delay=0.01,truncate=0.01,delay_seconds=1.5"


def build_plan(original: pd.DataFrame, *, creates: int, patches: int, deletes: int, tag: str) -> tuple[Plan, dict]:
    """A plan over ``original`` (default-schema rows only) and what each operation should leave on the server."""
    default = original.index[original["schema_id"] == "default"].tolist()
    assert len(default) >= patches + deletes
    edited = original.copy()
    edited["metadata_admin"] = edited["metadata_admin"].astype(object)
    intended: dict[str, Any] = {"patched": {}, "deleted": [], "created": {}}
    for n, row in enumerate(default[:patches]):
        edited.loc[row, "traits.name.first"] = f"{tag}-first-{n}"
        edited.at[row, "metadata_admin"] = {"reliability": tag, "n": n}
        intended["patched"][original.loc[row, "id"]] = (f"{tag}-first-{n}", {"reliability": tag, "n": n})
    gone = default[patches : patches + deletes]
    intended["deleted"] = original.loc[gone, "id"].tolist()
    edited = edited.drop(index=gone)
    rows = []
    for n in range(creates):
        row = {"schema_id": "default", "traits.email": f"{tag}.new{n}@example.org", "external_id": f"{tag}-ext-{n}"}
        if n % 3 == 0:
            row["password"] = f"Reliable-{tag}-{n}-pass!"
        rows.append(row)
        intended["created"][f"{tag}-ext-{n}"] = f"{tag}.new{n}@example.org"
    new = pd.DataFrame(rows, index=range(10**6, 10**6 + creates))
    plan = plan_changes(original, pd.concat([edited, new]), allow_delete=True)
    assert plan.summary().to_dict() == {"create": creates, "patch": patches, "delete": deletes, "skip": 0}
    return plan, intended


def check_report(plan: Plan, report: pd.DataFrame) -> None:
    """One report row per planned operation, each once."""
    assert len(report) == len(plan.operations)
    assert report["row"].is_unique
    assert Counter(report["action"]) == Counter(op.action for op in plan.operations)
    assert set(report["status"]) <= {"applied", "failed", "skipped"}, report["status"].value_counts()


def check_server(client: Client, plan: Plan, report: pd.DataFrame, intended: dict, before: int) -> pd.DataFrame:
    """Every applied operation is in its intended state; identifiers and external ids are unique."""
    now = read_identities(client).set_index("id", drop=False)
    assert now["id"].is_unique
    assert now["external_id"].dropna().is_unique, "an identity was created twice"
    emails = now["traits.email"].dropna()
    assert emails.str.lower().is_unique, "an identity was created twice"
    for row in report.itertuples():
        if row.status not in ("applied", "skipped") or (row.status == "skipped" and row.reason == "not run"):
            continue
        if row.action == "patch":
            first, meta = intended["patched"][row.identity_id]
            assert now.loc[row.identity_id, "traits.name.first"] == first
            assert now.loc[row.identity_id, "metadata_admin"] == meta
        elif row.action == "delete":
            assert row.identity_id not in now.index
        elif row.action == "create":
            found = now[now["id"] == row.identity_id]
            assert len(found) == 1
            assert intended["created"][found["external_id"].iloc[0]] == found["traits.email"].iloc[0]
    created = sum(now["external_id"].isin(list(intended["created"])))
    deleted = sum(~pd.Series(intended["deleted"]).isin(now.index))
    assert len(now) == before + created - deleted  # nothing else appeared or vanished
    return now


@pytest.mark.timeout(150)
@pytest.mark.parametrize("fault_seed", [5, 6])
def test_apply_under_faults(fault_seed: int) -> None:
    with running(seed_identities=400, seed=fault_seed, faults=FAULTS, fault_seed=fault_seed) as url:
        client, _ = fast_client(url, timeout=0.5)
        with client:
            original = read_identities(client)
            plan, intended = build_plan(original, creates=60, patches=80, deletes=40, tag=f"s{fault_seed}")
            report = plan.apply(client, workers=8)
            check_report(plan, report)
            check_server(client, plan, report, intended, len(original))
            first_failed = int((report["status"] == "failed").sum())
            for _ in range(6):  # re-run until everything is applied
                if (report["status"] != "failed").all():
                    break
                report = plan.apply(client, workers=8)
                check_report(plan, report)
                check_server(client, plan, report, intended, len(original))
            assert len(plan.done) == len(plan.operations), report[report["status"] == "failed"]
            final = check_server(client, plan, report, intended, len(original))
            # The final state equals the intended one, for every operation.
            assert all(final.loc[i, "traits.name.first"] == f for i, (f, _) in intended["patched"].items())
            assert not set(intended["deleted"]) & set(final.index)
            assert set(intended["created"]) <= set(final["external_id"].dropna())
        snapshot = stats(url)
    assert sum(snapshot["faults"].values()) >= 5, snapshot["faults"]
    print(f"seed {fault_seed}: {first_failed} failed at first, faults {snapshot['faults']}")
