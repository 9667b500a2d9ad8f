"""Pure planning logic of the s3_bucket module: which writes a wanted state needs.

Everything that talks to S3 is tested against a real MinIO in
tests/integration/targets/s3_bucket.
"""

from __future__ import annotations

from ansible_collections.mlops.mlflow.plugins.modules.s3_bucket import plan_present

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mlflow/*"}],
}
MINIO_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::mlflow/*"]}],
}
MISSING = dict(name="mlflow", exists=False, versioning=None, policy=None)


def existing(versioning="disabled", policy=None):
    return dict(name="mlflow", exists=True, versioning=versioning, policy=policy)


def test_missing_bucket_is_created_with_what_was_asked():
    actions, after = plan_present(MISSING, "enabled", POLICY)
    assert actions == ["create bucket", "enable versioning", "set policy"]
    assert after == dict(name="mlflow", exists=True, versioning="enabled", policy=POLICY)


def test_missing_bucket_without_options():
    actions, after = plan_present(MISSING, None, None)
    assert actions == ["create bucket"]
    assert after == existing()


def test_plan_does_not_modify_before():
    before = existing(policy=MINIO_POLICY)
    plan_present(before, "enabled", {})
    assert before == existing(policy=MINIO_POLICY)


def test_nothing_to_do_when_state_matches():
    assert plan_present(existing("enabled", MINIO_POLICY), "enabled", POLICY) == ([], existing("enabled", MINIO_POLICY))


def test_unset_options_leave_bucket_alone():
    assert plan_present(existing("enabled", MINIO_POLICY), None, None)[0] == []


def test_suspend_only_an_enabled_bucket():
    assert plan_present(existing("enabled"), "suspended", None)[0] == ["suspend versioning"]
    assert plan_present(existing("suspended"), "suspended", None)[0] == []
    # Never versioned behaves like suspended: writing "Suspended" would change nothing for objects.
    assert plan_present(existing("disabled"), "suspended", None)[0] == []


def test_enable_a_suspended_bucket():
    actions, after = plan_present(existing("suspended"), "enabled", None)
    assert actions == ["enable versioning"]
    assert after["versioning"] == "enabled"


def test_changed_policy_is_set():
    other = {"Version": "2012-10-17", "Statement": [dict(POLICY["Statement"][0], Effect="Deny")]}
    actions, after = plan_present(existing(policy=MINIO_POLICY), None, other)
    assert actions == ["set policy"]
    assert after["policy"] == other


def test_empty_policy_removes_only_an_existing_policy():
    actions, after = plan_present(existing(policy=MINIO_POLICY), None, {})
    assert actions == ["remove policy"]
    assert after["policy"] is None
    assert plan_present(existing(), None, {})[0] == []
