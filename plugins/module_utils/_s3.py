# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""S3 client for the mlops.mlflow modules (private: no API promise outside this collection).

Pure helpers (bucket name rules, policy comparison, error wording) need no third-party
library; ``S3Client`` needs boto3 and is only built after the module checked ``HAS_BOTO3``.
"""

from __future__ import annotations

import json
import re
import traceback

from ansible.module_utils.basic import env_fallback

BOTO3_IMPORT_ERROR = None
try:
    import boto3
    import botocore.exceptions
    from botocore.config import Config
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_BOTO3 = True


DEFAULT_REGION = "us-east-1"
# Attempts per API call (first try included): botocore's "standard" retry mode backs off
# exponentially with jitter on throttling, 5xx and connection errors.
MAX_ATTEMPTS = 4
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60


def s3_argument_spec():
    """Connection options, documented in the ``mlops.mlflow.s3`` doc fragment."""
    return dict(
        endpoint_url=dict(type="str", fallback=(env_fallback, ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL"])),
        access_key=dict(type="str", aliases=["aws_access_key_id"], no_log=False, fallback=(env_fallback, ["AWS_ACCESS_KEY_ID"])),
        secret_key=dict(type="str", aliases=["aws_secret_access_key"], no_log=True, fallback=(env_fallback, ["AWS_SECRET_ACCESS_KEY"])),
        region=dict(type="str", fallback=(env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])),
        validate_certs=dict(type="bool", default=True),
        ca_bundle=dict(type="path", fallback=(env_fallback, ["AWS_CA_BUNDLE"])),
    )


# --------------------------------------------------------------------------- bucket names

_NAME_CHARS = re.compile(r"[a-z0-9.-]")
_IPV4_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# Reserved by AWS for its own features; MinIO accepts them but the bucket could never
# move to AWS, so they are refused everywhere.
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problems(name):
    """Return the S3 naming rules ``name`` breaks, as sentences (empty list: valid).

    Rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    """
    problems = []
    if not isinstance(name, str) or not name:
        return ["it is empty"]
    if not 3 <= len(name) <= 63:
        problems.append("it must be 3 to 63 characters long (it has %d)" % len(name))
    bad = sorted(set(c for c in name if not _NAME_CHARS.match(c)))
    if bad:
        problems.append(
            "it may contain only lowercase letters, digits, dots and hyphens (found %s)" % ", ".join(repr(c) for c in bad)
        )
    if not (name[0].isalnum() and name[0].isascii()) or not (name[-1].isalnum() and name[-1].isascii()):
        problems.append("it must begin and end with a letter or digit")
    if ".." in name:
        problems.append("it must not contain two adjacent dots")
    if _IPV4_LIKE.match(name):
        problems.append("it must not be formatted as an IP address")
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            problems.append("it must not start with the reserved prefix %r" % prefix)
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            problems.append("it must not end with the reserved suffix %r" % suffix)
    return problems


# --------------------------------------------------------------------------- policies

# Elements whose value may be written as a single string or a list of strings; both mean
# the same set, so they compare as sorted, de-duplicated lists.
_SET_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")
# Policies without a Version are evaluated with the oldest language version.
_DEFAULT_POLICY_VERSION = "2008-10-17"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class PolicyError(ValueError):
    """The policy given is not a usable bucket policy document."""


def parse_policy(value):
    """Turn the ``policy`` option (JSON text or an already parsed dict) into a dict.

    Returns ``None`` for "leave the policy alone" and ``{}`` for "remove the policy".
    """
    if value is None:
        return None
    if isinstance(value, dict):
        doc = value
    else:
        text = str(value).strip()
        if text == "":
            return {}
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise PolicyError("policy is not valid JSON: %s" % exc) from exc
    if not isinstance(doc, dict):
        raise PolicyError("policy must be a JSON object (a policy document), not %s" % type(doc).__name__)
    if doc == {}:
        return {}
    statements = doc.get("Statement")
    if not statements:
        raise PolicyError("policy has no 'Statement': a bucket policy needs at least one statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            raise PolicyError("policy 'Statement' must hold objects, found %s" % json.dumps(statement))
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError("every policy statement needs 'Effect' set to 'Allow' or 'Deny', found %s" % json.dumps(statement))
    return doc


def _as_sorted_set(value):
    items = value if isinstance(value, list) else [value]
    unique = {json.dumps(item, sort_keys=True): item for item in items}
    return [unique[key] for key in sorted(unique)]


def _canonical_principal(value):
    # "*" and {"AWS": "*"} both mean everyone (MinIO hands back the latter).
    if value == "*":
        value = {"AWS": "*"}
    if not isinstance(value, dict):
        return value
    result = {}
    for kind, raw_ids in value.items():
        ids = _as_sorted_set(raw_ids)
        if kind == "AWS":
            # A bare account ID is shorthand for the account's root ARN.
            ids = _as_sorted_set(["arn:aws:iam::%s:root" % i if isinstance(i, str) and _ACCOUNT_ID.match(i) else i for i in ids])
        result[kind] = ids
    return result


def _canonical_statement(statement):
    result = {}
    for key, raw in statement.items():
        if key == "Sid" and raw in ("", None):
            continue
        value = raw
        if key in _SET_ELEMENTS:
            value = _as_sorted_set(raw)
        elif key in _PRINCIPAL_ELEMENTS:
            value = _canonical_principal(raw)
        elif key == "Condition" and isinstance(raw, dict):
            value = {op: {k: _as_sorted_set(v) for k, v in cond.items()} if isinstance(cond, dict) else cond for op, cond in raw.items()}
        result[key] = value
    return result


def canonical_policy(policy):
    """The policy in one canonical form, so that equal policies compare equal as dicts.

    Key order, a single value versus a one-element list (Action, Resource, Principal,
    Condition values), list order, duplicates, an empty Sid, a missing Version, "*" versus
    {"AWS": "*"} and an account ID versus its root ARN make no difference.
    """
    if policy is None:
        return None
    if policy == {}:
        return {}
    result = {k: v for k, v in policy.items() if k not in ("Statement", "Id") or (k == "Id" and v not in ("", None))}
    result.setdefault("Version", _DEFAULT_POLICY_VERSION)
    statements = policy.get("Statement", [])
    if not isinstance(statements, list):
        statements = [statements]
    result["Statement"] = _as_sorted_set([_canonical_statement(s) if isinstance(s, dict) else s for s in statements])
    return result


def policy_for_upload(policy):
    """The policy as sent: MinIO accepts only a list of statements, AWS both forms."""
    doc = dict(policy)
    if isinstance(doc.get("Statement"), dict):
        doc["Statement"] = [doc["Statement"]]
    return json.dumps(doc)


def policies_equal(a, b):
    """Whether two policy documents (dicts, or None for "no policy") mean the same."""
    return canonical_policy(a or None) == canonical_policy(b or None)


# --------------------------------------------------------------------------- errors

_CREDENTIAL_CODES = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId", "AuthorizationHeaderMalformed")
_CREDENTIAL_HINT = "check access_key and secret_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
_CONNECTION_ERRORS = ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError", "ProxyConnectionError")


def error_code(exc):
    """(code, message, HTTP status) of a botocore ClientError, or of any other exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {}) or {}
        status = (response.get("ResponseMetadata", {}) or {}).get("HTTPStatusCode")
        code = str(err.get("Code") or status or type(exc).__name__)
        return code, str(err.get("Message") or ""), status
    return type(exc).__name__, str(exc), None


def error_hint(exc, endpoint):
    """What the user should check for this error, or None if there is nothing specific."""
    code, _message, status = error_code(exc)
    names = [cls.__name__ for cls in type(exc).__mro__]
    if "SSLError" in names:
        return "the TLS connection to %s failed: check ca_bundle (or validate_certs)" % endpoint
    if any(name in names for name in _CONNECTION_ERRORS):
        return "could not reach %s: check endpoint_url and that the service is running" % endpoint
    if "NoCredentialsError" in names or "PartialCredentialsError" in names:
        return "no credentials found: set access_key and secret_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
    if code in _CREDENTIAL_CODES:
        return "the credentials were rejected: " + _CREDENTIAL_HINT
    if code == "BucketAlreadyExists":
        return "the name is taken by another account: choose another name"
    if code == "BucketNotEmpty":
        return "the bucket still holds objects or object versions: set force: true to delete them with the bucket"
    if code == "MalformedPolicy":
        return "the service refused the policy document: check policy"
    if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
        return "access denied: the bucket belongs to another account, or these credentials lack permission for this action"
    if code in ("InvalidLocationConstraint", "IllegalLocationConstraintException"):
        return "check region"
    return None


def error_message(action, name, endpoint, exc):
    """ "failed to create bucket 'mlflow' at http://host:9000: InvalidAccessKeyId: ... ; hint" """
    code, message, _status = error_code(exc)
    detail = code if not message or message == code else "%s: %s" % (code, message)
    text = "failed to %s bucket '%s' at %s: %s" % (action, name, endpoint, detail)
    hint = error_hint(exc, endpoint)
    if hint:
        text = "%s; %s" % (text.rstrip(". "), hint)
    return text


class S3Error(Exception):
    """A failed S3 call, with a message naming the action, the bucket and the endpoint."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- client


class S3Client:
    """The few bucket operations the modules need, each mapping errors to S3Error."""

    def __init__(self, *, endpoint_url=None, access_key=None, secret_key=None, region=None, validate_certs=True, ca_bundle=None):
        self.region = region or DEFAULT_REGION
        self.endpoint = endpoint_url or "AWS S3 (%s)" % self.region
        s3_config = {"addressing_style": "path"} if endpoint_url else {}
        config = Config(
            region_name=self.region,
            signature_version="s3v4",
            s3=s3_config,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )
        verify = (ca_bundle or True) if validate_certs else False
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=self.region,
            verify=verify,
            config=config,
        )

    def _fail(self, action, name, exc):
        return S3Error(error_message(action, name, self.endpoint, exc), code=error_code(exc)[0])

    def _call(self, action, name, method, **kwargs):
        try:
            return getattr(self._client, method)(**kwargs)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._fail(action, name, exc) from exc

    def bucket_exists(self, name):
        try:
            self._client.head_bucket(Bucket=name)
            return True
        except botocore.exceptions.ClientError as exc:
            code, _message, status = error_code(exc)
            if status == 404 or code in ("404", "NoSuchBucket", "NotFound"):
                return False
            if status == 403:
                # HEAD responses have no body, so a 403 does not say whether the
                # credentials or the bucket's owner are the problem; ListBuckets does.
                self._call("read", name, "list_buckets")
            raise self._fail("read", name, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._fail("read", name, exc) from exc

    def get_versioning(self, name):
        """'enabled', 'suspended' or 'disabled' (versioning never turned on)."""
        status = self._call("read the versioning of", name, "get_bucket_versioning", Bucket=name).get("Status")
        return status.lower() if status else "disabled"

    def get_policy(self, name):
        try:
            text = self._client.get_bucket_policy(Bucket=name)["Policy"]
        except botocore.exceptions.ClientError as exc:
            if error_code(exc)[0] == "NoSuchBucketPolicy":
                return None
            raise self._fail("read the policy of", name, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._fail("read the policy of", name, exc) from exc
        return json.loads(text) if text else None

    def read_state(self, name):
        state = dict(name=name, exists=self.bucket_exists(name), versioning=None, policy=None)
        if state["exists"]:
            state["versioning"] = self.get_versioning(name)
            state["policy"] = self.get_policy(name)
        return state

    def create_bucket(self, name):
        """Create the bucket; False if it already existed and is ours (a creation race)."""
        kwargs = dict(Bucket=name)
        if self.region != DEFAULT_REGION:
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**kwargs)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc)[0] == "BucketAlreadyOwnedByYou":
                return False
            raise self._fail("create", name, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._fail("create", name, exc) from exc
        self._client.get_waiter("bucket_exists").wait(Bucket=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        return True

    def put_versioning(self, name, status):
        self._call("set versioning on", name, "put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": status.capitalize()})

    def put_policy(self, name, policy):
        self._call("set the policy of", name, "put_bucket_policy", Bucket=name, Policy=policy_for_upload(policy))

    def delete_policy(self, name):
        self._call("remove the policy of", name, "delete_bucket_policy", Bucket=name)

    def is_empty(self, name):
        page = self._call("list the objects of", name, "list_object_versions", Bucket=name, MaxKeys=1)
        return not (page.get("Versions") or page.get("DeleteMarkers"))

    def empty_bucket(self, name):
        """Delete every object version and delete marker; returns how many were deleted."""
        deleted = 0
        try:
            paginator = self._client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=name, PaginationConfig={"PageSize": 1000}):
                keys = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                if not keys:
                    continue
                result = self._client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
                errors = result.get("Errors") or []
                if errors:
                    first = errors[0]
                    raise S3Error(
                        "failed to empty bucket '%s' at %s: %d object versions could not be deleted, first %r (version %s): %s: %s"
                        % (name, self.endpoint, len(errors), first.get("Key"), first.get("VersionId"), first.get("Code"), first.get("Message")),
                        code=first.get("Code"),
                    )
                deleted += len(keys)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise self._fail("empty", name, exc) from exc
        return deleted

    def delete_bucket(self, name):
        self._call("delete", name, "delete_bucket", Bucket=name)
