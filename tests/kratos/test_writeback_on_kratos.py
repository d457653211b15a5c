"""Write-back against a real Kratos: what v1.3.1 does that the sandbox (current Kratos, Ory Network) does not."""

from __future__ import annotations

import kratos_support
import pandas as pd
import pytest

from ory_frames import Client, plan_changes, read_identities

pytestmark = pytest.mark.kratos


def test_a_batch_with_a_conflict_creates_the_other_rows_for_real(kratos: kratos_support.Kratos) -> None:
    """Kratos v1.3.1 answers "created" for the rows beside a conflicting one, then rolls them back (ory/kratos#4211).

    Without a check the report would say applied for users that do not exist: the rows are looked up
    and sent again.
    """
    with Client(kratos.admin_url) as client:
        client.create_identity({"schema_id": "default", "traits": {"email": "taken@example.org"}})
        original = read_identities(client)
        new = pd.DataFrame(
            [
                {"schema_id": "default", "traits.email": "taken@example.org", "traits.age": 40},
                {"schema_id": "default", "traits.email": "fresh.one@example.org"},
                {"schema_id": "default", "traits.email": "fresh.two@example.org"},
            ]
        )
        report = plan_changes(original, pd.concat([original, new], ignore_index=True)).apply(client)
        by_email = dict(zip(new["traits.email"], report.sort_values("row")["status"], strict=True))
        assert by_email == {
            "taken@example.org": "failed",
            "fresh.one@example.org": "applied",
            "fresh.two@example.org": "applied",
        }
        emails = set(read_identities(client)["traits.email"])
    assert emails == {"taken@example.org", "fresh.one@example.org", "fresh.two@example.org"}
    created = report.loc[report["status"] == "applied", "identity_id"]
    with Client(kratos.admin_url) as client:
        assert all(client.get_identity(i).id == i for i in created)


def test_conflicts_are_found_by_value_where_kratos_keeps_updated_at(kratos: kratos_support.Kratos) -> None:
    """Kratos v1.3.1 never advances updated_at on PATCH or PUT (fixed in v25.4.0, ory/kratos#4131).

    So a change by someone else shows only where it touched a field our patch touches, which the plan's
    original values catch.
    """
    with Client(kratos.admin_url) as client:
        ident = client.create_identity({"schema_id": "default", "traits": {"email": "race@example.org"}})
        original = read_identities(client)
        client.patch_identity(ident.id, [{"op": "add", "path": "/traits/age", "value": 30}])
        assert client.get_identity(ident.id).updated_at == ident.updated_at  # what v1.3.1 does
        edited = original.copy()
        edited["traits.age"] = edited["traits.age"].astype(object)
        edited.loc[edited["id"] == ident.id, "traits.age"] = 31
        report = plan_changes(original, edited).apply(client)
        assert list(report["status"]) == ["conflict"]
        assert client.get_identity(ident.id).traits["age"] == 30
