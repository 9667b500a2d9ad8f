# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: s3_bucket_name
short_description: Whether a string is a bucket name that M(mlops.mlflow.s3_bucket) accepts
version_added: 0.2.0
author:
  - mlops.mlflow maintainers (@mlops)
description:
  - Applies the S3 bucket naming rules by which M(mlops.mlflow.s3_bucket) accepts its option
    O(mlops.mlflow.s3_bucket#module:name), with the module's own code, so that a role or playbook can check a
    bucket name in a preflight that fails before anything changes.
  - A valid name has 3 to 63 characters, only lowercase letters, digits, dots and hyphens, begins and ends
    with a letter or digit, has no two adjacent dots and is not formatted as an IP address.
  - It does not start with a prefix AWS reserves (V(xn--), V(sthree-), V(amzn-s3-demo-)) nor end with a
    reserved suffix (V(-s3alias), V(--ol-s3), V(.mrap), V(--x-s3), V(--table-s3)). MinIO would take some of
    these, but a bucket named so could never move to AWS.
  - Anything that is not a string is not a bucket name.
options:
  _input:
    description: The name to check.
    type: raw
    required: true
seealso:
  - module: mlops.mlflow.s3_bucket
  - name: Amazon S3 bucket naming rules
    description: The rules this test implements.
    link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
"""

EXAMPLES = r"""
- name: Check the bucket name before anything is created
  ansible.builtin.assert:
    that:
      - artifact_store_bucket is mlops.mlflow.s3_bucket_name
    fail_msg: "artifact_store_bucket is {{ artifact_store_bucket }}: set it to a valid S3 bucket name"

- name: Keep the valid names of a list
  ansible.builtin.set_fact:
    buckets: "{{ ['mlflow', 'ML_Flow', 'xn--mlflow', 'mlflow-artifacts'] | select('mlops.mlflow.s3_bucket_name') }}"
    # ['mlflow', 'mlflow-artifacts']
"""

RETURN = r"""
_value:
  description: V(true) when M(mlops.mlflow.s3_bucket) accepts the name, V(false) otherwise.
  type: bool
"""

from ansible_collections.mlops.mlflow.plugins.module_utils._s3 import bucket_name_problems


def s3_bucket_name(value):
    return not bucket_name_problems(value)


class TestModule:
    def tests(self):
        return {"s3_bucket_name": s3_bucket_name}
