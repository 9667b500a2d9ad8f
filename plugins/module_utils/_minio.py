# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""MinIO admin client for the mlops.mlflow modules (private: no API promise outside this collection).

MinIO's admin API (``/minio/admin/v3``) manages users and policies. Its requests are signed
with SigV4 and some bodies are encrypted with the caller's secret key (madmin's argon2id and
AES-GCM format), so the official ``minio`` SDK (``minio.MinioAdmin``) does the talking; this
module only shapes its answers and errors.

Pure helpers (name rules, policy parsing, the object-access policy, error wording) need no
third-party library; ``MinioAdminClient`` needs the SDK and is only built after the module
checked ``HAS_MINIO``.
"""

from __future__ import annotations

import json
import traceback
from urllib.parse import urlsplit

from ansible_collections.mlops.mlflow.plugins.module_utils._s3 import bucket_name_problems, policies_equal

MINIO_IMPORT_ERROR = None
try:
    import urllib3
    from minio import Minio, MinioAdmin
    from minio.credentials import StaticProvider
    from minio.error import MinioAdminException, MinioException, S3Error
except ImportError:
    HAS_MINIO = False
    MINIO_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_MINIO = True


DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# Attempts after the first: connection errors and gateway errors (502-504, a load balancer
# in front of MinIO while a node restarts) are retried with exponential backoff.
RETRIES = 3
REDACTED = "********"

# MinIO's own rules (internal/auth/credentials.go, cmd/admin-handlers-users.go).
ACCESS_KEY_MIN_LENGTH = 3
SECRET_KEY_MIN_LENGTH = 8
_RESERVED_ACCESS_KEY_CHARS = "=,"
# Policies every MinIO server has; redefining one would change what it means for every user.
BUILTIN_POLICIES = ("consoleAdmin", "diagnostics", "readonly", "readwrite", "writeonly")
IAM_POLICY_VERSION = "2012-10-17"


def minio_admin_argument_spec():
    """Connection options, documented in the ``mlops.mlflow.minio`` doc fragment."""
    return dict(
        endpoint_url=dict(type="str", required=True),
        login_access_key=dict(type="str", required=True, no_log=False),
        login_secret_key=dict(type="str", required=True, no_log=True),
        region=dict(type="str", default=DEFAULT_REGION),
        validate_certs=dict(type="bool", default=True),
        ca_bundle=dict(type="path"),
    )


# --------------------------------------------------------------------------- option rules


def endpoint_problem(url):
    """Why ``url`` is not a MinIO endpoint URL (None: it is one)."""
    if not url:
        return "it is empty"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return "it is not a URL (%s)" % exc
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it has no host"
    if parts.username or parts.password:
        return "it must not carry credentials (set login_access_key and login_secret_key)"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "it must be the server's root URL, without a path, query or fragment"
    if port == 0:
        return "its port must be 1 to 65535"
    return None


def access_key_problems(name):
    """The MinIO rules the user's access key ``name`` breaks, as sentences (empty list: valid)."""
    if not isinstance(name, str) or not name:
        return ["it is empty"]
    problems = []
    if len(name) < ACCESS_KEY_MIN_LENGTH:
        problems.append("it must have at least %d characters (it has %d)" % (ACCESS_KEY_MIN_LENGTH, len(name)))
    bad = sorted(set(c for c in name if c in _RESERVED_ACCESS_KEY_CHARS))
    if bad:
        problems.append("it must not contain %s (MinIO reserves them)" % " or ".join(repr(c) for c in bad))
    if name != name.strip():
        problems.append("it must not begin or end with white space")
    return problems


def secret_key_problems(secret):
    """The MinIO rules a secret key breaks (empty list: valid). The secret itself is never quoted."""
    if len(secret) < SECRET_KEY_MIN_LENGTH:
        return ["it must have at least %d characters (it has %d)" % (SECRET_KEY_MIN_LENGTH, len(secret))]
    return []


def policy_name_problems(name):
    """The MinIO rules a policy name breaks (empty list: valid)."""
    if not isinstance(name, str) or not name:
        return ["it is empty"]
    problems = []
    if "," in name:
        problems.append("it must not contain ',' (MinIO separates policy names with commas)")
    if name != name.strip():
        problems.append("it must not begin or end with white space")
    return problems


# --------------------------------------------------------------------------- policies


class PolicyError(ValueError):
    """The policy given is not a usable MinIO (IAM) policy document."""


def parse_policy(value):
    """Turn the ``policy`` option (JSON text or a parsed dict) into a dict MinIO would accept.

    MinIO stores a policy only with ``Version`` 2012-10-17 and at least one statement, and
    evaluates ``Effect`` Allow or Deny; anything deeper (action names, resources) is MinIO's
    to judge.
    """
    if isinstance(value, dict):
        doc = value
    else:
        try:
            doc = json.loads(str(value))
        except ValueError as exc:
            raise PolicyError("policy is not valid JSON: %s" % exc) from exc
    if not isinstance(doc, dict):
        raise PolicyError("policy must be a JSON object (a policy document), not %s" % type(doc).__name__)
    if doc.get("Version") != IAM_POLICY_VERSION:
        raise PolicyError('policy needs "Version": "%s" (MinIO accepts no other), found %s' % (IAM_POLICY_VERSION, json.dumps(doc.get("Version"))))
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not statements or not isinstance(statements, list):
        raise PolicyError("policy has no 'Statement': a policy needs at least one statement")
    for statement in statements:
        if not isinstance(statement, dict):
            raise PolicyError("policy 'Statement' must hold objects, found %s" % json.dumps(statement))
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError("every policy statement needs 'Effect' set to 'Allow' or 'Deny', found %s" % json.dumps(statement))
        if "Action" not in statement and "NotAction" not in statement:
            raise PolicyError("every policy statement needs 'Action' (or 'NotAction'), found %s" % json.dumps(statement))
    return dict(doc, Statement=statements)


def policy_matches(current, wanted):
    """Whether the policy MinIO holds (as it hands it back) means the same as the one wanted.

    MinIO reformats a stored policy: single values become lists, actions and condition
    values come back in any order (a new one on each read), an empty Sid is dropped. Equal
    meaning is equal here.
    """
    return current is not None and policies_equal(current, wanted)


def object_access_policy(bucket, prefix=None):
    """Policy for a user that keeps objects in ``bucket`` (under ``prefix``) and does nothing else.

    What an S3 artifact store client (MLflow's S3 artifact repository and boto3's transfers)
    needs: list, read, write and delete objects, multipart uploads (create, upload parts and
    complete are s3:PutObject; list parts, list uploads, abort) and the bucket's location. No
    bucket creation or deletion, no listing of other buckets, no bucket configuration, no admin.
    """
    problems = bucket_name_problems(bucket)
    if problems:
        raise PolicyError("invalid bucket name %r: %s" % (bucket, "; ".join(problems)))
    prefix = (prefix or "").strip("/")
    if any(c in prefix for c in "*?$"):
        raise PolicyError("invalid prefix %r: it must not contain '*', '?' or '$' (they are wildcards or variables in a policy)" % prefix)
    bucket_arn = "arn:aws:s3:::%s" % bucket
    objects_arn = "%s/%s/*" % (bucket_arn, prefix) if prefix else "%s/*" % bucket_arn
    listing = {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket_arn]}
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [prefix, prefix + "/*"]}}
    return {
        "Version": IAM_POLICY_VERSION,
        "Statement": [
            # MinIO takes no s3:prefix condition for ListBucketMultipartUploads.
            {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], "Resource": [bucket_arn]},
            listing,
            {
                "Effect": "Allow",
                "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
                "Resource": [objects_arn],
            },
        ],
    }


def split_policy_names(text):
    """MinIO's comma-separated policy names (user-info's ``policyName``) as a sorted list."""
    return sorted(set(name for name in (text or "").split(",") if name))


# --------------------------------------------------------------------------- errors


class MinioError(Exception):
    """A failed admin call, with a message naming the action, the object and the endpoint."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def error_code(exc):
    """(code, message, HTTP status) of a MinioAdminException or S3Error, or of any other exception."""
    body = getattr(exc, "_body", None)
    if body is not None:  # MinioAdminException: HTTP status and the JSON error body
        status = getattr(exc, "_code", None)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and doc.get("Code"):
            return str(doc["Code"]), str(doc.get("Message") or ""), _int_or_none(status)
        # Not MinIO's admin API answering (a proxy, AWS S3, another S3 store): its status and
        # the start of what it said.
        snippet = " ".join(str(body).split())
        return "HTTP %s" % status, snippet if len(snippet) <= 120 else snippet[:120] + "...", _int_or_none(status)
    code = getattr(exc, "code", None)
    if code and hasattr(exc, "message"):  # S3Error
        response = getattr(exc, "response", None)
        return str(code), str(exc.message or ""), getattr(response, "status", None)
    reason = getattr(exc, "reason", None)  # urllib3's MaxRetryError: the last failure
    if reason is not None:
        return type(reason).__name__, str(reason), None
    return type(exc).__name__, str(exc), None


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_LOGIN_REJECTED = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "XMinioAdminInvalidAccessKey", "ExpiredToken", "InvalidToken")
_CONNECTION_ERRORS = ("NewConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ProtocolError", "NameResolutionError", "MaxRetryError")


def error_hint(code, status, endpoint):
    """What the user should check for this error, or None if there is nothing specific."""
    if code == "SSLError":
        return "the TLS connection to %s failed: check ca_bundle (or validate_certs)" % endpoint
    if code in _CONNECTION_ERRORS:
        return "could not reach %s: check endpoint_url and that MinIO is running" % endpoint
    if code in _LOGIN_REJECTED:
        return "the login credentials were rejected: check login_access_key and login_secret_key"
    if code in ("AccessDenied", "XMinioAdminAccessDenied"):
        return ("login_access_key may not do this: log in as MinIO's root user, or as a user with the admin actions that "
                "ansible-doc mlops.mlflow.minio_user lists under login_access_key")
    if code == "XMinioAdminInvalidSecretKey":
        return "set secret_key to at least %d characters" % SECRET_KEY_MIN_LENGTH
    if code in ("XMinioMalformedIAMPolicy", "MalformedPolicy", "XMinioAdminNoSuchPolicy"):
        return "check policy (and policy_name, policies)"
    if code == "XMinioIAMPolicyInUse":
        return "detach the policy from every user and group first, or set remove_policy: false"
    if code == "XMinioInvalidIAMCredentials":
        return "name is an access key MinIO reserves (its root user's): choose another name"
    if code.startswith("HTTP ") and status in (400, 403, 404, 405):
        return "%s does not answer MinIO's admin API: check that endpoint_url is a MinIO server's S3 API URL" % endpoint
    return None


def error_message(action, obj, endpoint, exc):
    """ "failed to add user 'mlflow' at http://host:9000: XMinioAdminInvalidSecretKey: ...; hint" """
    code, message, status = error_code(exc)
    detail = code if not message or message == code else "%s: %s" % (code, message)
    text = "failed to %s %s at %s: %s" % (action, obj, endpoint, detail)
    hint = error_hint(code, status, endpoint)
    if hint:
        text = "%s; %s" % (text.rstrip(". "), hint)
    return text


# --------------------------------------------------------------------------- client


class MinioAdminClient:
    """The few user and policy operations the modules need, each mapping errors to MinioError."""

    def __init__(self, *, endpoint_url, login_access_key, login_secret_key, region=None, validate_certs=True, ca_bundle=None):
        parts = urlsplit(endpoint_url)
        self.endpoint = "%s://%s" % (parts.scheme, parts.netloc)
        self._host = parts.netloc
        self._secure = parts.scheme == "https"
        self._region = region or DEFAULT_REGION
        self._http = self._pool(validate_certs, ca_bundle)
        self._admin = MinioAdmin(
            endpoint=self._host,
            credentials=StaticProvider(login_access_key, login_secret_key),
            region=self._region,
            secure=self._secure,
            cert_check=validate_certs,
            http_client=self._http,
        )

    @staticmethod
    def _pool(validate_certs, ca_bundle):
        if not validate_certs:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return urllib3.PoolManager(
            timeout=urllib3.util.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            cert_reqs="CERT_REQUIRED" if validate_certs else "CERT_NONE",
            # None: the system's trust store.
            ca_certs=ca_bundle if validate_certs and ca_bundle else None,
            retries=urllib3.util.Retry(
                total=RETRIES,
                backoff_factor=0.5,
                status_forcelist=(502, 503, 504),
                allowed_methods=None,
                raise_on_status=False,
            ),
        )

    def _call(self, action, obj, method, *args, **kwargs):
        try:
            return getattr(self._admin, method)(*args, **kwargs)
        except (MinioAdminException, urllib3.exceptions.HTTPError, ValueError) as exc:
            raise MinioError(error_message(action, obj, self.endpoint, exc), code=error_code(exc)[0]) from exc

    def _json(self, action, obj, method, *args, **kwargs):
        text = self._call(action, obj, method, *args, **kwargs)
        try:
            return json.loads(text) if text else {}
        except ValueError as exc:
            raise MinioError("failed to %s %s at %s: the answer is not JSON: %s" % (action, obj, self.endpoint, text[:200])) from exc

    # ----------------------------------------------------------------- users

    def read_user(self, name):
        """{name, exists, enabled, policies} of the user (policies sorted)."""
        try:
            info = self._json("read", "user '%s'" % name, "user_info", name)
        except MinioError as exc:
            if exc.code == "XMinioAdminNoSuchUser":
                return dict(name=name, exists=False, enabled=None, policies=[])
            raise
        return dict(name=name, exists=True, enabled=info.get("status") == "enabled", policies=split_policy_names(info.get("policyName")))

    def add_user(self, name, secret_key):
        """Create the user, or set its secret key; either way MinIO leaves it enabled."""
        self._call("add", "user '%s'" % name, "user_add", name, secret_key)

    def set_enabled(self, name, enabled):
        if enabled:
            self._call("enable", "user '%s'" % name, "user_enable", name)
        else:
            self._call("disable", "user '%s'" % name, "user_disable", name)

    def remove_user(self, name):
        self._call("remove", "user '%s'" % name, "user_remove", name)

    def attach_policies(self, name, policies):
        self._call("attach policies %s to" % ", ".join(repr(p) for p in policies), "user '%s'" % name, "attach_policy", list(policies), user=name)

    def detach_policies(self, name, policies):
        self._call("detach policies %s from" % ", ".join(repr(p) for p in policies), "user '%s'" % name, "detach_policy", list(policies), user=name)

    def secret_key_works(self, name, secret_key):
        """Whether ``secret_key`` is the enabled user's secret key: a signed ListBuckets as the user.

        MinIO answers a bad signature with SignatureDoesNotMatch before it looks at any
        permission, so AccessDenied (a user whose policy allows no bucket listing) means the
        key is right. Nothing is changed and nothing but bucket names can be read.
        """
        client = Minio(self._host, access_key=name, secret_key=secret_key, secure=self._secure, region=self._region, http_client=self._http)
        try:
            client.list_buckets()
        except S3Error as exc:
            if exc.code == "SignatureDoesNotMatch":
                return False
            if exc.code == "AccessDenied":
                return True
            raise MinioError(error_message("check the secret key of", "user '%s'" % name, self.endpoint, exc), code=exc.code) from exc
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as exc:
            raise MinioError(error_message("check the secret key of", "user '%s'" % name, self.endpoint, exc), code=error_code(exc)[0]) from exc
        return True

    # ----------------------------------------------------------------- policies

    def read_policy(self, name):
        """{name, exists, document} of the policy, the document as MinIO hands it back."""
        try:
            document = self._json("read", "policy '%s'" % name, "policy_info", name)
        except MinioError as exc:
            if exc.code == "XMinioAdminNoSuchPolicy":
                return dict(name=name, exists=False, document=None)
            raise
        return dict(name=name, exists=True, document=document)

    def put_policy(self, name, document):
        self._call("set", "policy '%s'" % name, "policy_add", name, policy=document)

    def remove_policy(self, name):
        self._call("remove", "policy '%s'" % name, "policy_remove", name)

    def policy_entities(self, name):
        """(users, groups) the policy is attached to."""
        answer = self._json("read the users and groups of", "policy '%s'" % name, "get_policy_entities", users=[], groups=[], policies=[name])
        users, groups = set(), set()
        for mapping in answer.get("policyMappings") or []:
            if mapping.get("policy") == name:
                users.update(mapping.get("users") or [])
                groups.update(mapping.get("groups") or [])
        return sorted(users), sorted(groups)
