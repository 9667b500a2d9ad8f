"""The filter mlops.mlflow.object_access_policy: the module_utils policy, errors as filter errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mlops.mlflow.plugins.filter.object_access_policy import FilterModule
from ansible_collections.mlops.mlflow.plugins.module_utils._minio import object_access_policy as policy_of

FILTER = FilterModule().filters()["object_access_policy"]


def test_filter_returns_the_policy():
    assert FILTER("mlflow") == policy_of("mlflow")
    assert FILTER("mlflow", prefix="art") == policy_of("mlflow", "art")
    assert FILTER("mlflow", "") == policy_of("mlflow")


def test_filter_error_names_the_filter_and_the_problem():
    with pytest.raises(AnsibleFilterError, match=r"^object_access_policy: invalid bucket name 'Bad_Bucket'"):
        FILTER("Bad_Bucket")
