#!/usr/bin/python
# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: s3_bucket
short_description: Manage an S3 bucket, its versioning and its policy on MinIO or AWS S3
version_added: 0.1.0
description:
  - Create or remove an S3 bucket, turn its versioning on or off and set or remove its bucket
    policy, on MinIO or any S3-compatible store as well as on AWS S3.
  - Made for the MLflow artifact store. It adds to M(amazon.aws.s3_bucket) full check and
    diff mode, versioning that works on MinIO, a policy compared by meaning rather than as text,
    bucket names checked before any call, error messages that say what to fix, and no dependency
    on the amazon.aws collection (only boto3).
  - The module reads the bucket's state, compares it with the state asked for and writes only
    what differs; in check mode it reports the same result and writes nothing.
extends_documentation_fragment:
  - mlops.mlflow.attributes
  - mlops.mlflow.s3
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - Name of the bucket.
      - Checked against the S3 naming rules before anything is sent, so a bad name fails at once
        with the rule it breaks.
    type: str
    required: true
    aliases: [bucket]
  state:
    description:
      - V(present) creates the bucket if it is missing and applies O(versioning) and O(policy).
      - V(absent) removes the bucket; a bucket that still holds objects is only removed with
        O(force=true).
    type: str
    choices: [present, absent]
    default: present
  versioning:
    description:
      - V(enabled) keeps every version of every object, so artifacts that were overwritten or
        deleted can be recovered.
      - V(suspended) stops keeping new versions (versions kept so far stay). A bucket that never
        had versioning already behaves this way and is left alone.
      - Unset leaves versioning as it is.
    type: str
    choices: [enabled, suspended]
  policy:
    description:
      - Bucket policy document, as JSON text or as a dictionary, for example to let an
        anonymous reader download artifacts.
      - Compared with the bucket's current policy by meaning, not as text. Key order, a single
        value versus a one-element list, statement order and MinIO's rewriting of an anonymous
        principal V(*) into V({"AWS":["*"]}) do not count as a change.
      - An empty dictionary V({}) or empty string removes the bucket's policy. Unset leaves the
        policy as it is.
    type: json
  force:
    description:
      - With O(state=absent), delete every object, every object version and every delete marker
        before removing the bucket. Without it a non-empty bucket is not removed and the module
        fails.
      - There is no undo; check mode reports the removal without deleting anything.
    type: bool
    default: false
notes:
  - Custom endpoints (O(endpoint_url)) are addressed path-style, as MinIO expects.
  - Transient errors (throttling, server errors, dropped connections) are retried with
    exponential backoff; a bucket that turns out to exist and belong to the caller when creating
    it (a creation race) counts as already present.
  - Does not manage object lock, lifecycle rules, encryption, tags or ACLs.
seealso:
  - name: Bucket naming rules
    description: The rules O(name) is checked against.
    link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  - name: MinIO bucket versioning
    description: How versioning works on MinIO.
    link: https://min.io/docs/minio/linux/administration/object-management/object-versioning.html
author:
  - mlops.mlflow maintainers (@mlops)
"""

EXAMPLES = r"""
- name: Create the artifact bucket on MinIO, with versioning
  mlops.mlflow.s3_bucket:
    name: mlflow
    endpoint_url: http://minio.example.com:9000
    access_key: mlflow
    secret_key: "{{ vault_minio_secret_key }}"
    versioning: enabled

- name: Let anyone download the published models
  mlops.mlflow.s3_bucket:
    name: mlflow
    endpoint_url: http://minio.example.com:9000
    access_key: mlflow
    secret_key: "{{ vault_minio_secret_key }}"
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: s3:GetObject
          Resource: arn:aws:s3:::mlflow/published/*

- name: Remove the bucket's policy again, leave versioning as it is
  mlops.mlflow.s3_bucket:
    name: mlflow
    endpoint_url: http://minio.example.com:9000
    access_key: mlflow
    secret_key: "{{ vault_minio_secret_key }}"
    policy: {}

- name: Remove a scratch bucket with everything in it, every version included
  mlops.mlflow.s3_bucket:
    name: mlflow-scratch
    endpoint_url: http://minio.example.com:9000
    access_key: mlflow
    secret_key: "{{ vault_minio_secret_key }}"
    state: absent
    force: true

- name: Connection from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
  mlops.mlflow.s3_bucket:
    name: mlflow
  environment:
    AWS_ENDPOINT_URL: http://minio.example.com:9000
    AWS_ACCESS_KEY_ID: mlflow
    AWS_SECRET_ACCESS_KEY: "{{ vault_minio_secret_key }}"
"""

RETURN = r"""
bucket:
  description: The bucket's state after the module ran (in check mode, the state it would have).
  returned: success
  type: dict
  contains:
    name:
      description: Name of the bucket.
      type: str
      returned: always
      sample: mlflow
    exists:
      description: Whether the bucket exists.
      type: bool
      returned: always
      sample: true
    versioning:
      description:
        - V(enabled), V(suspended), or V(disabled) for a bucket that never had versioning.
        - V(null) when the bucket does not exist.
      type: str
      returned: always
      sample: enabled
    policy:
      description: The bucket policy as the service returns it, V(null) for none or no bucket.
      type: dict
      returned: always
      sample:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: ["*"]
            Action: ["s3:GetObject"]
            Resource: ["arn:aws:s3:::mlflow/published/*"]
actions:
  description: What was done (in check mode, what would be done), in order.
  returned: success
  type: list
  elements: str
  sample: ["create bucket", "enable versioning", "set policy"]
deleted_objects:
  description: Number of object versions and delete markers deleted by O(force=true) (in check mode, 0).
  returned: when O(state=absent)
  type: int
  sample: 12
diff:
  description: The bucket's state before and after, with the keys of RV(bucket).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: State before the module ran.
      type: dict
      returned: always
    after:
      description: State after the module ran (in check mode, the state it would have).
      type: dict
      returned: always
"""

import copy

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mlops.mlflow.plugins.module_utils._s3 import (
    BOTO3_IMPORT_ERROR,
    HAS_BOTO3,
    PolicyError,
    S3Client,
    S3Error,
    bucket_name_problems,
    parse_policy,
    policies_equal,
    s3_argument_spec,
)


def plan_present(before, versioning, policy):
    """Actions that bring the bucket from ``before`` to the wanted state, and the state after."""
    after = copy.deepcopy(before)
    actions = []
    if not before["exists"]:
        actions.append("create bucket")
        after.update(exists=True, versioning="disabled", policy=None)
    if versioning == "enabled" and after["versioning"] != "enabled":
        actions.append("enable versioning")
        after["versioning"] = "enabled"
    elif versioning == "suspended" and after["versioning"] == "enabled":
        actions.append("suspend versioning")
        after["versioning"] = "suspended"
    if policy == {}:
        if after["policy"] is not None:
            actions.append("remove policy")
            after["policy"] = None
    elif policy is not None and not policies_equal(after["policy"], policy):
        actions.append("set policy")
        after["policy"] = policy
    return actions, after


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["bucket"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        versioning=dict(type="str", choices=["enabled", "suspended"]),
        policy=dict(type="json"),
        force=dict(type="bool", default=False),
    )
    argument_spec.update(s3_argument_spec())
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_together=[["access_key", "secret_key"]],
        supports_check_mode=True,
    )
    name = module.params["name"]
    state = module.params["state"]

    problems = bucket_name_problems(name)
    if problems:
        module.fail_json(msg="invalid bucket name '%s': %s; set name to a valid S3 bucket name" % (name, "; ".join(problems)))
    try:
        policy = parse_policy(module.params["policy"])
    except PolicyError as exc:
        module.fail_json(msg="invalid policy for bucket '%s': %s" % (name, exc))
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_IMPORT_ERROR)

    result = dict(changed=False, actions=[])
    try:
        client = S3Client(
            endpoint_url=module.params["endpoint_url"],
            access_key=module.params["access_key"],
            secret_key=module.params["secret_key"],
            region=module.params["region"],
            validate_certs=module.params["validate_certs"],
            ca_bundle=module.params["ca_bundle"],
        )
        before = client.read_state(name)

        if state == "present":
            actions, after = plan_present(before, module.params["versioning"], policy)
            if actions and not module.check_mode:
                if "create bucket" in actions and not client.create_bucket(name):
                    # Created with our credentials by someone else since we looked: not our change.
                    before = client.read_state(name)
                    actions, after = plan_present(before, module.params["versioning"], policy)
                if "enable versioning" in actions:
                    client.put_versioning(name, "enabled")
                if "suspend versioning" in actions:
                    client.put_versioning(name, "suspended")
                if "remove policy" in actions:
                    client.delete_policy(name)
                if "set policy" in actions:
                    client.put_policy(name, policy)
                after = client.read_state(name)
        else:
            actions = []
            after = dict(name=name, exists=False, versioning=None, policy=None)
            result["deleted_objects"] = 0
            if before["exists"]:
                if module.params["force"]:
                    actions.append("delete all object versions")
                elif not client.is_empty(name):
                    module.fail_json(
                        msg="failed to delete bucket '%s' at %s: BucketNotEmpty: the bucket still holds objects or object versions "
                        "(set force: true to delete them with the bucket)" % (name, client.endpoint),
                        bucket=before,
                    )
                actions.append("delete bucket")
                if not module.check_mode:
                    if module.params["force"]:
                        result["deleted_objects"] = client.empty_bucket(name)
                    client.delete_bucket(name)
    except S3Error as exc:
        module.fail_json(msg=str(exc), error_code=exc.code)

    result.update(changed=bool(actions), actions=actions, bucket=after)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
