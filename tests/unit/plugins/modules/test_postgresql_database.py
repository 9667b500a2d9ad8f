"""Pure planning logic of the postgresql_database module.

Everything that talks to PostgreSQL is tested against a real server in
tests/integration/targets/postgresql_database.
"""

from __future__ import annotations

from ansible_collections.mlops.mlflow.plugins.modules.postgresql_database import fixed_property_mismatches, schema_actions

EXISTING = dict(name="mlflow", exists=True, owner="mlflow", encoding="UTF8", collate="C.UTF-8", ctype="C.UTF-8")


def test_matching_fixed_properties():
    assert fixed_property_mismatches(EXISTING, "UTF8", None, None) == []
    assert fixed_property_mismatches(EXISTING, "UTF8", "C.utf8", "C.UTF-8") == []


def test_unset_locales_are_not_compared():
    assert fixed_property_mismatches(dict(EXISTING, collate="de_DE.UTF-8"), "UTF8", None, None) == []


def test_every_mismatch_is_named_with_both_values():
    mismatches = fixed_property_mismatches(EXISTING, "LATIN1", "en_US.UTF-8", "C")
    assert mismatches == [
        "encoding UTF8 (asked: LATIN1)",
        "lc_collate C.UTF-8 (asked: en_US.UTF-8)",
        "lc_ctype C.UTF-8 (asked: C)",
    ]


def test_missing_public_schema_is_created():
    assert schema_actions(None, ownership_committed=True) == ["create"]


def test_owner_with_privileges_needs_nothing():
    assert schema_actions(dict(owner="pg_database_owner", owner_can_create=True), ownership_committed=True) == []


def test_owner_without_privileges_is_granted():
    assert schema_actions(dict(owner="postgres", owner_can_create=False), ownership_committed=True) == ["grant"]


def test_committed_state_trusts_the_server_even_for_pg_database_owner():
    # Someone revoked the privileges from pg_database_owner: the server's answer counts.
    assert schema_actions(dict(owner="pg_database_owner", owner_can_create=False), ownership_committed=True) == ["grant"]


def test_check_mode_predicts_pg_database_owner():
    # PostgreSQL 15+: the new owner of the database gets schema public through pg_database_owner.
    assert schema_actions(dict(owner="pg_database_owner", owner_can_create=None), ownership_committed=False) == []
    assert schema_actions(dict(owner="pg_database_owner", owner_can_create=False), ownership_committed=False) == []


def test_check_mode_on_older_layout_predicts_a_grant():
    assert schema_actions(dict(owner="postgres", owner_can_create=None), ownership_committed=False) == ["grant"]
