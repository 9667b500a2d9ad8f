"""Pure helpers of the MinIO admin client: name rules, policies, error wording.

Everything that talks to MinIO is tested against a real MinIO in
tests/integration/targets/minio_user.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.mlops.mlflow.plugins.module_utils._minio import (
    PolicyError,
    access_key_problems,
    endpoint_problem,
    error_code,
    error_message,
    object_access_policy,
    parse_policy,
    policy_matches,
    policy_name_problems,
    secret_key_problems,
    split_policy_names,
)

# object_access_policy('mlflow', 'art') as MinIO (2026-02 build) hands it back from
# info-canned-policy: actions and condition values in an order of its own (another one on
# each read: they are sets in MinIO), a Sid kept, an empty Sid dropped.
MINIO_FORM = json.loads(
    '{"Version": "2012-10-17", "Statement": [{"Sid": "Location", "Effect": "Allow", "Action": ["s3:ListBucketMultipartUploads", '
    '"s3:GetBucketLocation"], "Resource": ["arn:aws:s3:::mlflow"]}, {"Effect": "Allow", "Action": ["s3:ListBucket"], '
    '"Resource": ["arn:aws:s3:::mlflow"], "Condition": {"StringLike": {"s3:prefix": ["art/*", "art"]}}}, {"Effect": "Allow", '
    '"Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts"], '
    '"Resource": ["arn:aws:s3:::mlflow/art/*"]}]}'
)


class FakeAdminError(Exception):
    """Shaped like minio.error.MinioAdminException: HTTP status in _code, the body in _body."""

    def __init__(self, status, body):
        super().__init__("admin request failed")
        self._code = status
        self._body = body


class FakeS3Error(Exception):
    """Shaped like minio.error.S3Error."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class NewConnectionError(Exception):
    pass


class MaxRetryError(Exception):
    """Shaped like urllib3's MaxRetryError: the last failure in ``reason``."""

    def __init__(self, reason):
        super().__init__("Max retries exceeded")
        self.reason = reason


class SSLError(Exception):
    pass


def admin_error(status, code, message=""):
    return FakeAdminError(str(status), json.dumps({"Code": code, "Message": message, "Resource": "/minio/admin/v3/add-user"}))


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["abc", "mlflow", "mlflow-artifacts", "a.b_c@d", "MLflow"])
def test_valid_access_keys(name):
    assert access_key_problems(name) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "it is empty"),
        ("ab", "at least 3 characters (it has 2)"),
        ("ml=flow", "must not contain '='"),
        ("ml,flow", "must not contain ','"),
        ("a,b=c", "must not contain ',' or '='"),
        (" mlflow", "white space"),
        ("mlflow ", "white space"),
    ],
)
def test_invalid_access_keys(name, problem):
    assert any(problem in p for p in access_key_problems(name)), access_key_problems(name)


def test_secret_key_minimum_is_minios():
    assert secret_key_problems("12345678") == []
    assert secret_key_problems("1234567") == ["it must have at least 8 characters (it has 7)"]


def test_secret_key_problem_does_not_quote_the_secret():
    assert "short" not in " ".join(secret_key_problems("short"))


@pytest.mark.parametrize(("name", "ok"), [("mlflow-artifacts", True), ("readonly", True), ("a,b", False), ("", False), (" p", False)])
def test_policy_names(name, ok):
    assert (policy_name_problems(name) == []) is ok


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://minio:9000", None),
        ("https://minio.example.com", None),
        ("http://127.0.0.1:19000/", None),
        ("http://[::1]:9000", None),
        ("", "empty"),
        ("minio:9000", "http:// or https://"),
        ("ftp://minio", "http:// or https://"),
        ("http://", "no host"),
        ("http://user:pw@minio:9000", "must not carry credentials"),
        ("http://minio:9000/bucket", "without a path"),
        ("http://minio:9000?x=1", "without a path"),
        ("http://minio:99999", "not a URL"),
    ],
)
def test_endpoint_urls(url, problem):
    found = endpoint_problem(url)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_policy_names_split_and_sorted():
    assert split_policy_names("readonly,mlflow-p") == ["mlflow-p", "readonly"]
    assert split_policy_names(None) == []
    assert split_policy_names("") == []


# --------------------------------------------------------------------------- policies


def test_parse_policy_from_json_text_and_dict():
    doc = object_access_policy("mlflow")
    assert parse_policy(json.dumps(doc)) == doc
    assert parse_policy(doc) == doc


def test_parse_policy_single_statement_becomes_a_list():
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}
    assert parse_policy(doc)["Statement"] == [doc["Statement"]]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "policy is not valid JSON"),
        ("[]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, '"Version": "2012-10-17"'),
        ({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "MinIO accepts no other"),
        ({"Version": "2012-10-17"}, "no 'Statement'"),
        ({"Version": "2012-10-17", "Statement": []}, "no 'Statement'"),
        ({"Version": "2012-10-17", "Statement": ["s3:*"]}, "must hold objects"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "s3:*"}]}, "'Effect' set to 'Allow' or 'Deny'"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}, "needs 'Action'"),
    ],
)
def test_parse_policy_refuses(value, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy(value)


def test_minio_reformatting_is_no_change():
    wanted = object_access_policy("mlflow", "art")
    wanted["Statement"][0]["Sid"] = "Location"
    wanted["Statement"][1]["Sid"] = ""
    assert policy_matches(MINIO_FORM, wanted)


def test_single_values_match_minios_lists():
    wanted = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    minio = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}
    assert policy_matches(minio, wanted)


def test_real_differences_are_changes():
    wanted = object_access_policy("mlflow", "art")
    assert not policy_matches(MINIO_FORM, object_access_policy("mlflow"))
    assert not policy_matches(MINIO_FORM, object_access_policy("mlflow", "other"))
    assert not policy_matches(None, wanted)
    extra = json.loads(json.dumps(MINIO_FORM))
    extra["Statement"][2]["Action"].append("s3:GetObjectVersion")
    assert not policy_matches(extra, wanted)


# --------------------------------------------------------------------------- the object-access policy


def actions_by_resource(doc):
    result = {}
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            result.setdefault(resource, set()).update(statement["Action"])
    return result


def test_object_access_policy_allows_objects_and_multipart_on_the_bucket_only():
    doc = object_access_policy("mlflow")
    assert doc["Version"] == "2012-10-17"
    assert actions_by_resource(doc) == {
        "arn:aws:s3:::mlflow": {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
        "arn:aws:s3:::mlflow/*": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"},
    }
    assert all("Condition" not in s for s in doc["Statement"])


def test_object_access_policy_with_prefix_confines_objects_and_listing():
    for prefix in ("art", "/art/", "art/"):
        doc = object_access_policy("mlflow", prefix)
        assert set(actions_by_resource(doc)) == {"arn:aws:s3:::mlflow", "arn:aws:s3:::mlflow/art/*"}
        (listing,) = [s for s in doc["Statement"] if "s3:ListBucket" in s["Action"]]
        assert listing["Action"] == ["s3:ListBucket"]
        assert listing["Condition"] == {"StringLike": {"s3:prefix": ["art", "art/*"]}}


def test_object_access_policy_nested_prefix():
    doc = object_access_policy("mlflow", "team/a")
    assert "arn:aws:s3:::mlflow/team/a/*" in actions_by_resource(doc)


def test_object_access_policy_grants_nothing_beyond():
    granted = set().union(*actions_by_resource(object_access_policy("mlflow")).values())
    for action in ("s3:*", "s3:CreateBucket", "s3:DeleteBucket", "s3:ListAllMyBuckets", "s3:PutBucketPolicy", "s3:GetObjectVersion", "admin:*"):
        assert action not in granted
    assert all(not a.endswith("*") for a in granted)


def test_object_access_policy_is_accepted_by_parse_policy():
    assert parse_policy(object_access_policy("mlflow", "art")) == object_access_policy("mlflow", "art")


@pytest.mark.parametrize(
    ("bucket", "prefix", "message"),
    [
        ("Bad_Bucket", None, "invalid bucket name 'Bad_Bucket'"),
        ("ab", None, "3 to 63 characters"),
        ("mlflow", "a*", "must not contain"),
        ("mlflow", "a?b", "must not contain"),
        ("mlflow", "${aws:username}", "must not contain"),
    ],
)
def test_object_access_policy_refuses(bucket, prefix, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(")):
        object_access_policy(bucket, prefix)


# --------------------------------------------------------------------------- errors


def test_admin_error_code_from_the_json_body():
    exc = admin_error(400, "XMinioAdminInvalidSecretKey", "The secret key is invalid.")
    assert error_code(exc) == ("XMinioAdminInvalidSecretKey", "The secret key is invalid.", 400)


def test_non_minio_answer_is_named_by_its_status():
    exc = FakeAdminError("404", "<html><body>Not Found</body></html>")
    code, message, status = error_code(exc)
    assert (code, status) == ("HTTP 404", 404)
    assert "Not Found" in message
    text = error_message("read", "user 'mlflow'", "http://host:9000", exc)
    assert "does not answer MinIO's admin API" in text


def test_a_long_foreign_answer_is_cut():
    _code, message, _status = error_code(FakeAdminError("403", "<p>" + "x" * 500 + "</p>"))
    assert len(message) == 123
    assert message.endswith("...")


def test_message_names_action_object_endpoint_code_and_hint():
    exc = admin_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
    text = error_message("read", "user 'mlflow'", "http://host:9000", exc)
    assert text.startswith("failed to read user 'mlflow' at http://host:9000: SignatureDoesNotMatch: The request signature")
    assert text.endswith("; the login credentials were rejected: check login_access_key and login_secret_key")


@pytest.mark.parametrize(
    ("exc", "hint"),
    [
        (admin_error(403, "InvalidAccessKeyId"), "check login_access_key and login_secret_key"),
        (admin_error(403, "AccessDenied", "Access Denied."), "login_access_key may not do this"),
        (admin_error(400, "XMinioAdminInvalidSecretKey"), "set secret_key to at least 8 characters"),
        (admin_error(400, "XMinioMalformedIAMPolicy"), "check policy"),
        (admin_error(400, "XMinioIAMPolicyInUse"), "detach the policy"),
        (admin_error(403, "XMinioInvalidIAMCredentials"), "choose another name"),
        (MaxRetryError(NewConnectionError("Connection refused")), "could not reach http://host:9000: check endpoint_url"),
        (MaxRetryError(SSLError("certificate verify failed")), "check ca_bundle (or validate_certs)"),
    ],
)
def test_hints(exc, hint):
    assert hint in error_message("add", "user 'mlflow'", "http://host:9000", exc)


def test_connection_error_names_the_cause():
    text = error_message("read", "user 'mlflow'", "http://127.0.0.1:9", MaxRetryError(NewConnectionError("Connection refused")))
    assert text.startswith("failed to read user 'mlflow' at http://127.0.0.1:9: NewConnectionError: Connection refused;")


def test_s3_error_of_the_secret_check():
    code, message, _status = error_code(FakeS3Error("InvalidAccessKeyId", "Your account is disabled"))
    assert (code, message) == ("InvalidAccessKeyId", "Your account is disabled")


def test_unknown_error_has_no_hint():
    assert error_message("read", "user 'x'", "http://h:9000", admin_error(500, "InternalError", "boom")) == (
        "failed to read user 'x' at http://h:9000: InternalError: boom"
    )
