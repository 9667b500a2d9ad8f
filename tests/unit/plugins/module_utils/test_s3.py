"""Pure logic of plugins/module_utils/_s3.py: bucket names, policy comparison, error wording."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mlops.mlflow.plugins.module_utils import _s3
from ansible_collections.mlops.mlflow.plugins.module_utils._s3 import (
    PolicyError,
    bucket_name_problems,
    canonical_policy,
    error_message,
    parse_policy,
    policies_equal,
    policy_for_upload,
)

ENDPOINT = "http://127.0.0.1:9000"

# --------------------------------------------------------------------------- bucket names


@pytest.mark.parametrize(
    "name",
    ["mlflow", "abc", "a" * 63, "mlflow-artifacts.prod", "1bucket", "my.bucket.123", "xn-not-a-prefix", "s3alias-ok"],
)
def test_valid_bucket_names(name):
    assert bucket_name_problems(name) == []


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 63 characters long (it has 2)"),
        ("a" * 64, "3 to 63 characters long (it has 64)"),
        ("MLflow", "only lowercase letters, digits, dots and hyphens (found 'L', 'M')"),
        ("ml_flow", "found '_'"),
        ("ml flow", "found ' '"),
        ("-mlflow", "begin and end with a letter or digit"),
        ("mlflow.", "begin and end with a letter or digit"),
        ("ml..flow", "two adjacent dots"),
        ("192.168.5.4", "formatted as an IP address"),
        ("xn--mlflow", "reserved prefix 'xn--'"),
        ("sthree-mlflow", "reserved prefix 'sthree-'"),
        ("mlflow-s3alias", "reserved suffix '-s3alias'"),
        ("mlflow--ol-s3", "reserved suffix '--ol-s3'"),
        ("", "empty"),
    ],
)
def test_invalid_bucket_names_name_the_rule(name, rule):
    problems = bucket_name_problems(name)
    assert any(rule in p for p in problems), problems


def test_non_ascii_letters_are_refused():
    assert any("found 'é'" in p for p in bucket_name_problems("café-bucket"))
    assert any("begin and end" in p for p in bucket_name_problems("bucketé"))


def test_every_broken_rule_is_reported():
    problems = bucket_name_problems("-A..")
    assert len(problems) == 3, problems


# --------------------------------------------------------------------------- policies

BASE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::mlflow/*",
        }
    ],
}

# What MinIO hands back for BASE (seen with MinIO built from RELEASE.2025-10-15).
MINIO_FORM = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::mlflow/*"],
        }
    ],
}


def test_parse_policy_accepts_text_and_dict():
    assert parse_policy(json.dumps(BASE)) == BASE
    assert parse_policy(BASE) == BASE


def test_parse_policy_unset_and_removal():
    assert parse_policy(None) is None
    assert parse_policy("") == {}
    assert parse_policy("  ") == {}
    assert parse_policy("{}") == {}
    assert parse_policy({}) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"Version": "2012-10-17", ', "policy is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"Version": "2012-10-17"}', "has no 'Statement'"),
        ('{"Statement": ["s3:GetObject"]}', "'Statement' must hold objects"),
        ('{"Statement": [{"Action": "s3:GetObject"}]}', "'Effect' set to 'Allow' or 'Deny'"),
        ('{"Statement": {"Effect": "allow"}}', "'Effect' set to 'Allow' or 'Deny'"),
    ],
)
def test_parse_policy_refuses_bad_documents(value, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(value)


def test_minio_rewrite_is_equal():
    assert policies_equal(BASE, MINIO_FORM)


def test_key_order_does_not_matter():
    reordered = json.loads(json.dumps(BASE, sort_keys=True))
    reordered["Statement"][0] = dict(reversed(list(reordered["Statement"][0].items())))
    assert policies_equal(BASE, reordered)


def test_single_statement_object_equals_list():
    single = dict(BASE, Statement=BASE["Statement"][0])
    assert policies_equal(single, BASE)


def test_statement_and_value_order_and_duplicates_do_not_matter():
    a = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"},
        ],
    }
    b = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:DeleteObject"], "Resource": ["arn:aws:s3:::b/*"]},
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetObject"],
                "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
            },
        ],
    }
    assert policies_equal(a, b)


def test_condition_values_compare_as_sets():
    a = dict(BASE, Statement=[dict(BASE["Statement"][0], Condition={"StringLike": {"s3:prefix": "public/"}})])
    b = dict(BASE, Statement=[dict(BASE["Statement"][0], Condition={"StringLike": {"s3:prefix": ["public/"]}})])
    assert policies_equal(a, b)


def test_empty_sid_and_missing_version():
    no_sid = {"Version": "2008-10-17", "Statement": [{k: v for k, v in BASE["Statement"][0].items() if k != "Sid"}]}
    empty_sid = {"Statement": [dict(no_sid["Statement"][0], Sid="")]}
    assert policies_equal(no_sid, empty_sid)


def test_account_id_equals_root_arn():
    a = dict(BASE, Statement=[dict(BASE["Statement"][0], Principal={"AWS": "123456789012"})])
    b = dict(BASE, Statement=[dict(BASE["Statement"][0], Principal={"AWS": ["arn:aws:iam::123456789012:root"]})])
    assert policies_equal(a, b)


@pytest.mark.parametrize(
    "change",
    [
        {"Effect": "Deny"},
        {"Action": ["s3:GetObject", "s3:PutObject"]},
        {"Resource": "arn:aws:s3:::mlflow/public/*"},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"}},
        {"Sid": "OtherSid"},
        {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ],
)
def test_real_differences_are_seen(change):
    other = dict(BASE, Statement=[dict(BASE["Statement"][0], **change)])
    assert not policies_equal(BASE, other)


def test_different_version_is_a_difference():
    assert not policies_equal(BASE, dict(BASE, Version="2008-10-17"))


def test_no_policy_versus_policy():
    assert policies_equal(None, None)
    assert policies_equal(None, {})
    assert not policies_equal(None, BASE)
    assert not policies_equal(BASE, None)


def test_canonical_form_is_stable():
    assert canonical_policy(canonical_policy(BASE)) == canonical_policy(BASE)
    assert canonical_policy(BASE) == canonical_policy(MINIO_FORM)


def test_upload_form_always_has_a_statement_list():
    single = dict(BASE, Statement=BASE["Statement"][0])
    sent = json.loads(policy_for_upload(single))
    assert isinstance(sent["Statement"], list)
    assert policies_equal(sent, single)
    assert single["Statement"] == BASE["Statement"][0], "the caller's document must not be modified"


# --------------------------------------------------------------------------- errors


class FakeClientError(Exception):
    """Shaped like botocore's ClientError (a ``response`` dict), for the pure mapping."""

    def __init__(self, code, message="", status=400):
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}


class EndpointConnectionError(Exception):
    pass


class SSLError(Exception):
    pass


class NoCredentialsError(Exception):
    pass


def test_wrong_access_key():
    msg = error_message("create", "mlflow", ENDPOINT, FakeClientError("InvalidAccessKeyId", "The Access Key Id you provided does not exist.", 403))
    assert msg.startswith("failed to create bucket 'mlflow' at http://127.0.0.1:9000: InvalidAccessKeyId: The Access Key Id")
    assert "check access_key and secret_key" in msg


def test_wrong_secret_key():
    msg = error_message("read", "mlflow", ENDPOINT, FakeClientError("SignatureDoesNotMatch", "The request signature ...", 403))
    assert "SignatureDoesNotMatch" in msg and "check access_key and secret_key" in msg


def test_unreachable_endpoint_names_the_url():
    exc = EndpointConnectionError('Could not connect to the endpoint URL: "http://127.0.0.1:9/mlflow"')
    msg = error_message("read", "mlflow", "http://127.0.0.1:9", exc)
    assert msg.startswith("failed to read bucket 'mlflow' at http://127.0.0.1:9: EndpointConnectionError")
    assert "could not reach http://127.0.0.1:9: check endpoint_url" in msg


def test_tls_failure_points_at_ca_bundle():
    assert "check ca_bundle" in error_message("read", "mlflow", "https://s3.local", SSLError("certificate verify failed"))


def test_no_credentials():
    assert "set access_key and secret_key" in error_message("read", "mlflow", ENDPOINT, NoCredentialsError("Unable to locate credentials"))


def test_bucket_of_another_account():
    msg = error_message("create", "mlflow", ENDPOINT, FakeClientError("BucketAlreadyExists", "The requested bucket name is not available.", 409))
    assert "taken by another account" in msg and "choose another name" in msg


def test_head_403_without_body():
    msg = error_message("read", "mlflow", ENDPOINT, FakeClientError("403", "Forbidden", 403))
    assert msg.startswith("failed to read bucket 'mlflow' at http://127.0.0.1:9000: 403: Forbidden")
    assert "belongs to another account" in msg


def test_non_empty_bucket_says_force():
    msg = error_message("delete", "mlflow", ENDPOINT, FakeClientError("BucketNotEmpty", "The bucket you tried to delete is not empty.", 409))
    assert "set force: true" in msg


def test_unknown_error_keeps_code_and_message():
    msg = error_message("set versioning on", "mlflow", ENDPOINT, FakeClientError("InternalError", "We encountered an internal error.", 500))
    assert msg == "failed to set versioning on bucket 'mlflow' at http://127.0.0.1:9000: InternalError: We encountered an internal error."


def test_botocore_exceptions_map_the_same_way():
    botocore_exceptions = pytest.importorskip("botocore.exceptions")
    exc = botocore_exceptions.ClientError({"Error": {"Code": "InvalidAccessKeyId", "Message": "no such key"}}, "CreateBucket")
    assert "check access_key and secret_key" in error_message("create", "mlflow", ENDPOINT, exc)
    exc = botocore_exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/mlflow")
    assert "check endpoint_url" in error_message("read", "mlflow", "http://127.0.0.1:9", exc)


def test_argument_spec_keeps_secret_out_of_logs():
    spec = _s3.s3_argument_spec()
    assert spec["secret_key"]["no_log"] is True
    assert spec["access_key"]["no_log"] is False
    assert spec["access_key"]["fallback"][1] == ["AWS_ACCESS_KEY_ID"]
    assert spec["secret_key"]["fallback"][1] == ["AWS_SECRET_ACCESS_KEY"]


# --------------------------------------------------------------------------- client paths MinIO cannot be made to take
# A creation race and a 403 without body cannot be provoked reliably against a real
# MinIO; botocore's own Stubber feeds the client those responses.


@pytest.fixture
def stubbed_client():
    pytest.importorskip("boto3")
    stub_module = pytest.importorskip("botocore.stub")
    client = _s3.S3Client(endpoint_url=ENDPOINT, access_key="AKIAEXAMPLE", secret_key="not-a-real-secret")
    with stub_module.Stubber(client._client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_creation_race_is_not_a_change(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_client_error("create_bucket", service_error_code="BucketAlreadyOwnedByYou", http_status_code=409)
    assert client.create_bucket("mlflow") is False


def test_bucket_of_another_account_on_create(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_client_error("create_bucket", service_error_code="BucketAlreadyExists", service_message="taken", http_status_code=409)
    with pytest.raises(_s3.S3Error, match="failed to create bucket 'mlflow' at http://127.0.0.1:9000: BucketAlreadyExists: taken; the name is taken"):
        client.create_bucket("mlflow")


def test_head_403_with_wrong_credentials_says_so(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_client_error("head_bucket", service_error_code="403", service_message="Forbidden", http_status_code=403)
    stubber.add_client_error("list_buckets", service_error_code="InvalidAccessKeyId", service_message="unknown key", http_status_code=403)
    with pytest.raises(_s3.S3Error, match="InvalidAccessKeyId: unknown key; the credentials were rejected: check access_key and secret_key"):
        client.bucket_exists("mlflow")


def test_head_403_with_good_credentials_is_someone_elses_bucket(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_client_error("head_bucket", service_error_code="403", service_message="Forbidden", http_status_code=403)
    stubber.add_response("list_buckets", {"Buckets": []})
    with pytest.raises(_s3.S3Error, match="403: Forbidden; access denied: the bucket belongs to another account"):
        client.bucket_exists("mlflow")


def test_head_404_is_a_missing_bucket(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_client_error("head_bucket", service_error_code="404", service_message="Not Found", http_status_code=404)
    assert client.bucket_exists("mlflow") is False


def test_versioning_never_enabled_reads_as_disabled(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_response("get_bucket_versioning", {})
    stubber.add_response("get_bucket_versioning", {"Status": "Suspended"})
    assert client.get_versioning("mlflow") == "disabled"
    assert client.get_versioning("mlflow") == "suspended"


def test_partial_failure_while_emptying_names_the_object(stubbed_client):
    client, stubber = stubbed_client
    stubber.add_response("list_object_versions", {"Versions": [{"Key": "model.pkl", "VersionId": "v1"}], "IsTruncated": False})
    stubber.add_response("delete_objects", {"Errors": [{"Key": "model.pkl", "VersionId": "v1", "Code": "AccessDenied", "Message": "object locked"}]})
    expected = "failed to empty bucket 'mlflow' .*1 object versions could not be deleted, first 'model.pkl' \\(version v1\\): AccessDenied"
    with pytest.raises(_s3.S3Error, match=expected):
        client.empty_bucket("mlflow")
