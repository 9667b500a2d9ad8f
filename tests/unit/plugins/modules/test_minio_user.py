"""Pure planning logic of the minio_user module: which admin calls a wanted state needs.

Everything that talks to MinIO is tested against a real MinIO in
tests/integration/targets/minio_user.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.mlops.mlflow.plugins.module_utils._minio import object_access_policy
from ansible_collections.mlops.mlflow.plugins.modules.minio_user import (
    PlanError,
    check_options,
    plan_absent,
    plan_present,
    user_view,
    wanted_policies,
)

WHERE = "http://minio:9000"
POLICY = object_access_policy("mlflow")
# As MinIO hands it back: single values as lists (already), statements reordered.
POLICY_AS_STORED = dict(POLICY, Statement=list(reversed(POLICY["Statement"])))


def params(**overrides):
    p = dict(
        name="mlflow",
        state="present",
        secret_key="secret-key-1",
        update_secret_key="always",
        enabled=True,
        policy_name="mlflow-artifacts",
        policy=POLICY,
        policies=None,
        remove_policy=False,
        endpoint_url=WHERE,
        login_access_key="root",
        login_secret_key="root-secret",
    )
    p.update(overrides)
    return p


def user(exists=True, enabled=True, policies=("mlflow-artifacts",)):
    if not exists:
        return dict(name="mlflow", exists=False, enabled=None, policies=[])
    return dict(name="mlflow", exists=True, enabled=enabled, policies=list(policies))


def policy(exists=True, document=None):
    return dict(name="mlflow-artifacts", exists=exists, document=(document or POLICY_AS_STORED) if exists else None)


def state(u=None, p="default", *, secret_matches=True, missing_policies=(), policy_users=(), policy_groups=()):
    return dict(
        where=WHERE,
        user=user() if u is None else u,
        policy=policy() if p == "default" else p,
        secret_matches=secret_matches,
        missing_policies=list(missing_policies),
        policy_users=list(policy_users),
        policy_groups=list(policy_groups),
    )


def writes(plan):
    return {k: plan[k] for k in ("put_policy", "add_user", "enable_for_policies", "attach", "detach", "set_enabled")}


NO_WRITES = dict(put_policy=False, add_user=False, enable_for_policies=False, attach=[], detach=[], set_enabled=None)


# --------------------------------------------------------------------------- present


def test_fresh_server_gets_policy_user_and_attachment_in_that_order():
    plan = plan_present(state(u=user(exists=False), p=policy(exists=False), secret_matches=None), params())
    assert plan["actions"] == ["create policy 'mlflow-artifacts'", "create user 'mlflow'", "attach policy 'mlflow-artifacts' to user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, put_policy=True, add_user=True, attach=["mlflow-artifacts"])
    assert plan["user_after"] == user()
    assert plan["policy_after"] == dict(name="mlflow-artifacts", exists=True, document=POLICY)
    assert plan["secret_changed"]


def test_nothing_to_do_when_everything_matches():
    plan = plan_present(state(), params())
    assert plan["actions"] == []
    assert writes(plan) == NO_WRITES
    assert plan["user_after"] == user()
    assert not plan["secret_changed"]


def test_plan_does_not_modify_the_state_read():
    s = state(u=user(enabled=False, policies=["readonly"]), p=policy(exists=False), secret_matches=None)
    before = copy.deepcopy(s)
    plan_present(s, params(enabled=False))
    assert s == before


def test_changed_document_updates_the_policy_only():
    other = object_access_policy("mlflow", "art")
    plan = plan_present(state(), params(policy=other))
    assert plan["actions"] == ["update policy 'mlflow-artifacts'"]
    assert writes(plan) == dict(NO_WRITES, put_policy=True)
    assert plan["policy_after"]["document"] == other


def test_wrong_secret_is_set_on_an_enabled_user():
    plan = plan_present(state(secret_matches=False), params())
    assert plan["actions"] == ["set the secret key of user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, add_user=True)
    assert plan["secret_changed"]


def test_on_create_leaves_an_existing_key_alone():
    # read_state does not even check the key with on_create (secret_matches None).
    plan = plan_present(state(secret_matches=None), params(update_secret_key="on_create"))
    assert plan["actions"] == []


def test_no_secret_key_leaves_an_existing_key_alone():
    assert plan_present(state(secret_matches=None), params(secret_key=None))["actions"] == []


def test_missing_user_needs_a_secret_key():
    with pytest.raises(PlanError, match=r"^user 'mlflow' does not exist at http://minio:9000: set secret_key"):
        plan_present(state(u=user(exists=False), secret_matches=None), params(secret_key=None))


def test_disable_an_enabled_user():
    plan = plan_present(state(secret_matches=None), params(enabled=False))
    assert plan["actions"] == ["disable user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, set_enabled=False)
    assert plan["user_after"] == user(enabled=False)


def test_a_disabled_user_that_stays_disabled_keeps_its_key():
    plan = plan_present(state(u=user(enabled=False), secret_matches=None), params(enabled=False))
    assert plan["actions"] == []
    assert writes(plan) == NO_WRITES


def test_enabling_a_disabled_user_sets_its_key_in_the_same_call():
    # A disabled user's key cannot be checked; add-user sets it and enables the user at once.
    plan = plan_present(state(u=user(enabled=False), secret_matches=None), params())
    assert plan["actions"] == ["set the secret key of user 'mlflow'", "enable user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, add_user=True)


def test_enabling_without_a_key_to_check_only_enables():
    plan = plan_present(state(u=user(enabled=False), secret_matches=None), params(update_secret_key="on_create"))
    assert plan["actions"] == ["enable user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, set_enabled=True)


def test_new_disabled_user_is_created_given_its_policies_then_disabled():
    plan = plan_present(state(u=user(exists=False), p=policy(exists=False), secret_matches=None), params(enabled=False))
    assert plan["actions"] == [
        "create policy 'mlflow-artifacts'",
        "create user 'mlflow'",
        "attach policy 'mlflow-artifacts' to user 'mlflow'",
        "disable user 'mlflow'",
    ]
    assert writes(plan) == dict(NO_WRITES, put_policy=True, add_user=True, attach=["mlflow-artifacts"], set_enabled=False)


def test_policies_of_a_disabled_user_change_while_it_is_enabled_for_that_moment():
    plan = plan_present(state(u=user(enabled=False, policies=["readwrite"]), secret_matches=None), params(enabled=False))
    assert plan["actions"] == ["attach policy 'mlflow-artifacts' to user 'mlflow'", "detach policy 'readwrite' from user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, enable_for_policies=True, attach=["mlflow-artifacts"], detach=["readwrite"], set_enabled=False)
    assert plan["user_after"] == user(enabled=False)


def test_policies_of_a_user_being_enabled_need_no_second_enabling():
    plan = plan_present(state(u=user(enabled=False, policies=[]), secret_matches=None), params(secret_key=None))
    assert plan["actions"] == ["attach policy 'mlflow-artifacts' to user 'mlflow'", "enable user 'mlflow'"]
    assert writes(plan) == dict(NO_WRITES, enable_for_policies=True, attach=["mlflow-artifacts"])


def test_other_policies_are_detached():
    plan = plan_present(state(u=user(policies=["mlflow-artifacts", "readwrite", "consoleAdmin"])), params())
    assert plan["actions"] == ["detach policies 'consoleAdmin', 'readwrite' from user 'mlflow'"]
    assert plan["detach"] == ["consoleAdmin", "readwrite"]
    assert plan["user_after"]["policies"] == ["mlflow-artifacts"]


def test_policies_add_to_policy_name():
    plan = plan_present(state(), params(policies=["readonly", "diagnostics"]))
    assert plan["attach"] == ["diagnostics", "readonly"]
    assert plan["actions"] == ["attach policies 'diagnostics', 'readonly' to user 'mlflow'"]
    assert plan["user_after"]["policies"] == ["diagnostics", "mlflow-artifacts", "readonly"]


def test_empty_policies_without_policy_name_detach_all():
    plan = plan_present(state(p=None), params(policy_name=None, policy=None, policies=[]))
    assert plan["detach"] == ["mlflow-artifacts"]
    assert plan["user_after"]["policies"] == []


def test_neither_policy_name_nor_policies_leaves_attachments_alone():
    plan = plan_present(state(u=user(policies=["readwrite"]), p=None), params(policy_name=None, policy=None))
    assert plan["actions"] == []
    assert plan["user_after"]["policies"] == ["readwrite"]


def test_policy_name_without_document_must_exist():
    with pytest.raises(PlanError, match=r"^policy 'mlflow-artifacts' \(option policy_name\) does not exist at http://minio:9000: set policy"):
        plan_present(state(p=policy(exists=False)), params(policy=None))


def test_policy_name_without_document_is_attached_as_it_is():
    plan = plan_present(state(u=user(policies=[]), p=policy(document={"any": "document"})), params(policy=None))
    assert plan["actions"] == ["attach policy 'mlflow-artifacts' to user 'mlflow'"]
    assert not plan["put_policy"]


def test_missing_further_policies_fail_before_any_change():
    with pytest.raises(PlanError, match=r"^Policies 'a', 'b' \(option policies\) do not exist at http://minio:9000: create them first"):
        plan_present(state(u=user(exists=False), p=policy(exists=False), missing_policies=["a", "b"]), params(policies=["a", "b"]))
    with pytest.raises(PlanError, match=r"^Policy 'a' \(option policies\) does not exist"):
        plan_present(state(missing_policies=["a"]), params(policies=["a"]))


# --------------------------------------------------------------------------- absent


def test_remove_user_keeps_policy_by_default():
    plan = plan_absent(state(), params(state="absent"))
    assert plan["actions"] == ["remove user 'mlflow'"]
    assert plan["remove_user"] and not plan["remove_policy"]
    assert plan["user_after"] == user(exists=False)
    assert plan["policy_after"] == policy()


def test_remove_user_and_its_policy():
    plan = plan_absent(state(policy_users=["mlflow"]), params(state="absent", remove_policy=True))
    assert plan["actions"] == ["remove user 'mlflow'", "remove policy 'mlflow-artifacts'"]
    assert plan["policy_after"] == policy(exists=False)


def test_nothing_to_remove():
    plan = plan_absent(state(u=user(exists=False), p=policy(exists=False)), params(state="absent", remove_policy=True))
    assert plan["actions"] == []
    assert not plan["remove_user"] and not plan["remove_policy"]


def test_policy_used_by_others_is_not_removed_and_nothing_changes():
    with pytest.raises(PlanError) as info:
        plan_absent(state(policy_users=["mlflow", "other"], policy_groups=["team"]), params(state="absent", remove_policy=True))
    assert str(info.value) == (
        "cannot remove policy 'mlflow-artifacts' at http://minio:9000: it is still attached to user 'other' and group 'team'; "
        "detach it from them first, or set remove_policy: false"
    )


# --------------------------------------------------------------------------- options and views


def test_wanted_policies():
    assert wanted_policies(params(policy_name=None, policies=None)) is None
    assert wanted_policies(params(policy_name=None, policies=[])) == []
    assert wanted_policies(params(policies=None)) == ["mlflow-artifacts"]
    assert wanted_policies(params(policies=["readonly", "mlflow-artifacts"])) == ["mlflow-artifacts", "readonly"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(name="ab"), "invalid user name (access key) 'ab': it must have at least 3 characters (it has 2); set name to a valid MinIO access key"),
        (dict(name="a,b"), "invalid user name (access key) 'a,b': it must not contain ','"),
        (dict(name="root"), "name 'root' is login_access_key, the account the module logs in as"),
        (dict(endpoint_url="minio:9000"), "invalid endpoint_url 'minio:9000': it must start with http:// or https://; set it to the MinIO server's"),
        (dict(secret_key="short"), "invalid secret_key for user 'mlflow': it must have at least 8 characters (it has 5); MinIO refuses shorter keys"),
        (dict(policy_name="a,b"), "invalid policy name 'a,b' in policy_name: it must not contain ','"),
        (dict(policies=["ok", ""]), "invalid policy name '' in policies: it is empty"),
        (dict(policy_name=None), "policy is set but policy_name is not: set policy_name"),
        (dict(policy=None, policy_name=None, remove_policy=True), "remove_policy is true but policy_name is not set"),
        (dict(policy_name="readwrite"), "policy_name 'readwrite' is a built-in MinIO policy"),
        (dict(policy_name="consoleAdmin", policy=None, remove_policy=True), "policy_name 'consoleAdmin' is a built-in MinIO policy"),
    ],
)
def test_check_options(overrides, message):
    found = check_options(params(**overrides))
    assert found is not None and found.startswith(message), found


def test_check_options_never_quotes_the_secret():
    assert "short" not in check_options(params(secret_key="short")).replace("shorter", "")


def test_check_options_accepts_good_input_and_a_builtin_policy_to_attach():
    assert check_options(params()) is None
    assert check_options(params(policy_name="readonly", policy=None)) is None
    assert check_options(params(policy_name=None, policy=None, policies=["readonly"])) is None


def test_user_view_shows_the_secret_only_as_a_marker():
    assert user_view(user())["secret_key"] == "********"
    assert user_view(user(), secret_changed=True)["secret_key"] == "******** (changed)"
    assert user_view(user(exists=False))["secret_key"] is None
