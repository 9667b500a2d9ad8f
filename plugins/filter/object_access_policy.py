# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: object_access_policy
short_description: The least policy for a user that keeps objects in one bucket
version_added: 0.2.0
author:
  - mlops.mlflow maintainers (@mlops)
description:
  - Returns a policy document (IAM policy language, as MinIO and AWS IAM take it) that lets a user
    list, read, write and delete the objects of one bucket, or of one prefix in it, and do
    multipart uploads there, and nothing else. Give it to O(mlops.mlflow.minio_user#module:policy).
  - That is what MLflow's S3 artifact repository calls (C(ListObjectsV2), C(HeadObject),
    C(GetObject), C(PutObject), C(DeleteObjects), multipart uploads and presigned URLs for them).
  - Allowed are C(s3:GetBucketLocation), C(s3:ListBucketMultipartUploads) and C(s3:ListBucket) on
    the bucket (with O(prefix), C(s3:ListBucket) only under it), and C(s3:GetObject), C(s3:PutObject),
    C(s3:DeleteObject), C(s3:ListMultipartUploadParts) and C(s3:AbortMultipartUpload) on its
    objects. Creating, completing and uploading parts of a multipart upload count as
    C(s3:PutObject).
  - Not allowed are creating, deleting or configuring buckets, listing other buckets, reading
    other buckets, object versions, tags, ACLs or retention, and every admin action.
options:
  _input:
    description: Name of the bucket; it must follow the S3 bucket naming rules.
    type: str
    required: true
  prefix:
    description:
      - Key prefix the user is confined to, without wildcards, for example V(artifacts) for
        C(s3://bucket/artifacts/...). Slashes at either end do not matter.
      - Unset or empty gives the whole bucket.
    type: str
seealso:
  - module: mlops.mlflow.minio_user
  - name: Actions MinIO supports in policies
    description: The S3 actions this policy names.
    link: https://min.io/docs/minio/linux/administration/identity-access-management/policy-based-access-control.html
"""

EXAMPLES = r"""
- name: MLflow's user may keep artifacts in bucket mlflow and nothing else
  mlops.mlflow.minio_user:
    name: mlflow
    secret_key: "{{ vault_minio_mlflow_secret_key }}"
    policy_name: mlflow-artifacts
    policy: "{{ 'mlflow' | mlops.mlflow.object_access_policy }}"
    endpoint_url: http://minio.example.com:9000
    login_access_key: "{{ vault_minio_root_user }}"
    login_secret_key: "{{ vault_minio_root_password }}"

- name: Only under s3://shared/mlflow/
  ansible.builtin.set_fact:
    mlflow_policy: "{{ 'shared' | mlops.mlflow.object_access_policy(prefix='mlflow') }}"
"""

RETURN = r"""
_value:
  description: The policy document.
  type: dict
  sample:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
        Resource: ["arn:aws:s3:::mlflow"]
      - Effect: Allow
        Action: ["s3:ListBucket"]
        Resource: ["arn:aws:s3:::mlflow"]
      - Effect: Allow
        Action: ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource: ["arn:aws:s3:::mlflow/*"]
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.mlflow.plugins.module_utils._minio import PolicyError
from ansible_collections.mlops.mlflow.plugins.module_utils._minio import object_access_policy as _object_access_policy


def object_access_policy(bucket, prefix=None):
    try:
        return _object_access_policy(bucket, prefix)
    except PolicyError as exc:
        raise AnsibleFilterError("object_access_policy: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"object_access_policy": object_access_policy}
