# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""MLflow tracking server client for the mlops.mlflow modules (private: no API promise
outside this collection).

Only Ansible's own URL utilities are used, so nothing but the standard library and
ansible-core is needed on the host that runs the module. The pure helpers (URL building,
version comparison, error diagnosis) are what the unit tests cover; ``MlflowClient`` does
the I/O and returns every answer, failures included, as a ``Reply``.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time

from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urlencode, urlsplit

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

DEFAULT_TIMEOUT = 30
# Extra tries of a GET whose connection was dropped without an answer, and the pause between.
RESET_RETRIES = 3
RESET_RETRY_DELAY = 1.0
# Longest excerpt of a response body quoted in a message.
EXCERPT_LENGTH = 300

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
# Where a client asks for a presigned download URL of an artifact (MLflow 3.17 and later).
PRESIGNED_API = "/api/2.0/mlflow-artifacts/presigned"
# What the server advertises to clients; MLflow servers before 3.x answer it with 404.
SERVER_INFO_PATH = "/api/3.0/mlflow/server-info"
MULTIPART_DOWNLOADS = "multipart_downloads_enabled"
MULTIPART_UPLOADS = "multipart_uploads_enabled"
# MLflow's client gives a presigned chunk download this long (request_utils.download_chunk).
PRESIGNED_TIMEOUT = 10
# A path under the REST API that no route serves: MLflow's host-header check answers it with
# 403 for a refused Host, else the server answers 404 without touching its database.
HOST_PROBE_PATH = API + "/mlops-registry-check-host-probe"

INSECURE_TLS_ENV = "MLFLOW_TRACKING_INSECURE_TLS"
_TRUE_WORDS = ("1", "true", "yes", "on")


def mlflow_argument_spec():
    """Connection options, documented in the ``mlops.mlflow.mlflow`` doc fragment."""
    return dict(
        url=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_URI"])),
        username=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_TRACKING_PASSWORD"])),
        # No default: unset means "not MLFLOW_TRACKING_INSECURE_TLS" (see resolve_validate_certs).
        validate_certs=dict(type="bool"),
        ca_path=dict(type="path", fallback=(env_fallback, ["MLFLOW_TRACKING_SERVER_CERT_PATH"])),
        timeout=dict(type="int", default=DEFAULT_TIMEOUT),
    )


def resolve_validate_certs(validate_certs, environ):
    """``validate_certs`` if given, else the opposite of MLFLOW_TRACKING_INSECURE_TLS."""
    if validate_certs is not None:
        return bool(validate_certs)
    return environ.get(INSECURE_TLS_ENV, "").strip().lower() not in _TRUE_WORDS


# --------------------------------------------------------------------------- URLs


def parse_server_url(url):
    """Split the server URL into ``(base_url, host_header)`` or raise ValueError.

    ``base_url`` keeps a path prefix (a server started with ``--static-prefix`` or behind a
    proxy path) without its trailing slash; ``host_header`` is what the client sends as Host.
    """
    if not url or not url.strip():
        raise ValueError("no server URL: set url or the environment variable MLFLOW_TRACKING_URI")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            "url '%s' is not an http(s) URL: an MLflow tracking server is reached over HTTP, for example http://mlflow.example.com:5000" % url
        )
    if "@" in parts.netloc:
        raise ValueError("url must not contain credentials: set username and password instead")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("url '%s' has an invalid port" % url) from None
    if not parts.hostname:
        raise ValueError("url '%s' names no host" % url)
    if parts.query or parts.fragment:
        raise ValueError("url '%s' must not have a query string or fragment" % url)
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = "[%s]" % host
    host_header = host if port is None else "%s:%d" % (host, port)
    base = "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))
    return base, host_header


def build_url(base_url, path, query=None):
    """``base_url`` + ``path`` (+ ``?query``, a dict or list of pairs; None values dropped)."""
    url = base_url + path
    if query:
        items = query.items() if isinstance(query, dict) else query
        pairs = [(k, v) for k, v in items if v is not None]
        if pairs:
            url += "?" + urlencode(pairs)
    return url


def artifact_url(base_url, artifact_path):
    """URL of the proxied artifact at ``artifact_path`` (relative to the artifact root)."""
    return build_url(base_url, "%s/%s" % (ARTIFACTS_API, quote(artifact_path.strip("/"), safe="/")))


def presigned_url(base_url, artifact_path):
    """URL at which the server hands out a presigned download URL for ``artifact_path``."""
    return build_url(base_url, "%s/%s" % (PRESIGNED_API, quote(artifact_path.strip("/"), safe="/")))


def url_origin(url):
    """``scheme://host:port`` of ``url``: where a presigned URL sends the client."""
    parts = urlsplit(url or "")
    return "%s://%s" % (parts.scheme, parts.netloc) if parts.scheme and parts.netloc else ""


def url_without_query(url):
    """``url`` without its query string: a presigned URL's query is its credential."""
    parts = urlsplit(url or "")
    return "%s://%s%s" % (parts.scheme, parts.netloc, parts.path)


def artifact_path_from_uri(artifact_uri):
    """The path below the server's proxied artifact root for a run's ``artifact_uri``.

    ``mlflow-artifacts:/1/abc/artifacts`` and ``mlflow-artifacts://host:5000/1/abc/artifacts``
    give ``1/abc/artifacts``; an http(s) URL of the mlflow-artifacts API gives what follows the
    API route. Any other scheme (``s3://``, ``file://``) means the server does not proxy this
    run's artifacts: None.
    """
    if not artifact_uri:
        return None
    parts = urlsplit(artifact_uri)
    if parts.scheme == "mlflow-artifacts":
        path = parts.path
    elif parts.scheme in ("http", "https"):
        anchor = ARTIFACTS_API + "/"
        if anchor not in parts.path:
            return None
        path = parts.path.split(anchor, 1)[1]
    else:
        return None
    path = unquote(path).strip("/")
    return path or None


# --------------------------------------------------------------------------- versions


def parse_version(text):
    """The release numbers of a version string: ``'v3.17.2'`` -> ``(3, 17, 2)``; None if none."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text or "")
    if not match:
        return None
    return tuple(int(p) for p in match.group(1).split("."))


def version_matches(expected, actual):
    """Whether the server's ``actual`` version is the ``expected`` one.

    Release numbers are compared, so ``3.17`` matches ``3.17.0`` and ``3.17.2`` (a shorter
    expected version is a prefix); anything after them (``rc1``, ``.dev0``) must be equal too.
    """
    expected = (expected or "").strip()
    actual = (actual or "").strip()
    if expected.lstrip("v") == actual.lstrip("v"):
        return True
    exp_rel, act_rel = parse_version(expected), parse_version(actual)
    if exp_rel is None or act_rel is None:
        return False
    exp_rest = re.sub(r"^\s*v?\d+(?:\.\d+)*", "", expected)
    act_rest = re.sub(r"^\s*v?\d+(?:\.\d+)*", "", actual)
    if exp_rest:
        return exp_rel == act_rel and exp_rest == act_rest
    if act_rest:
        return False
    padded = act_rel + (0,) * max(0, len(exp_rel) - len(act_rel))
    return padded[: len(exp_rel)] == exp_rel


# --------------------------------------------------------------------------- server-info


def advertised_transfers(doc):
    """What ``/api/3.0/mlflow/server-info`` offers clients, as MLflow's client reads it:
    ``{"multipart_downloads_enabled": bool, "multipart_uploads_enabled": bool}``; a
    missing key is False. None (an older server, HTTP 404) advertises nothing."""
    doc = doc or {}
    return {MULTIPART_DOWNLOADS: bool(doc.get(MULTIPART_DOWNLOADS)), MULTIPART_UPLOADS: bool(doc.get(MULTIPART_UPLOADS))}


def parse_presigned_download(doc):
    """``(url, headers, file_size)`` of the server's answer to a presigned download request;
    ValueError when it has no http(s) URL. ``file_size`` None makes MLflow's client download
    through the server instead."""
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    url = doc.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValueError("no http(s) URL in it")
    headers = doc.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError("its headers are not a JSON object")
    size = doc.get("file_size")
    if size is not None:
        try:
            size = int(size)
        except (TypeError, ValueError):
            raise ValueError("its file_size %r is not a number" % (size,)) from None
    return url, {str(k): str(v) for k, v in headers.items()}, size


# --------------------------------------------------------------------------- replies


class Reply:
    """One HTTP exchange: ``status`` is None when no HTTP answer came (``error`` says why)."""

    def __init__(self, method, url, *, status=None, body=b"", reason="", error=None, error_kind=None, elapsed_ms=0.0):
        self.method = method
        self.url = url
        self.status = status
        self.body = body or b""
        self.reason = reason or ""
        self.error = error
        self.error_kind = error_kind
        self.elapsed_ms = elapsed_ms

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON (an empty body is ``{}``); ValueError if it is not JSON."""
        if not self.body.strip():
            return {}
        return json.loads(self.text)


def body_excerpt(text, limit=EXCERPT_LENGTH):
    """A response body cut down for a message: tags removed, whitespace collapsed, shortened."""
    text = re.sub(r"<[^>]+>", " ", text or "")
    text = " ".join(text.split())
    try:
        # An MLflow error document: its message is what matters.
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("message"):
        text = "%s: %s" % (doc["error_code"], doc["message"]) if doc.get("error_code") else doc["message"]
        text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def describe_reply(reply):
    """What came back, for a message: ``HTTP 500 Internal Server Error: <excerpt>`` or the error."""
    if reply.status is None:
        return reply.error or "no answer"
    head = "HTTP %d" % reply.status
    if reply.reason:
        head += " %s" % reply.reason
    excerpt = body_excerpt(reply.text)
    if excerpt and excerpt.lower() not in head.lower():
        head += ": %s" % excerpt
    return head


def classify_transport_error(exc):
    """``(kind, text)`` for an exception raised before any HTTP answer."""
    reason = getattr(exc, "reason", exc)
    text = str(reason) or exc.__class__.__name__
    lowered = text.lower()
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in lowered:
        return "timeout", text
    if isinstance(reason, ConnectionRefusedError) or "connection refused" in lowered or "errno 111" in lowered:
        return "refused", text
    if isinstance(reason, socket.gaierror) or "name or service not known" in lowered or "name resolution" in lowered or "nodename nor servname" in lowered:
        return "dns", text
    if isinstance(reason, ssl.SSLError) or isinstance(exc, SSLValidationError) or "certificate" in lowered or "ssl" in lowered:
        return "tls", text
    if isinstance(reason, (ConnectionResetError, ConnectionAbortedError)) or "reset by peer" in lowered or "remote end closed" in lowered:
        return "reset", text
    return "other", text


# --------------------------------------------------------------------------- diagnosis

HOST_REJECTED_MARKERS = ("invalid host header", "dns rebinding")
S3_CREDENTIAL_MARKERS = (
    "invalidaccesskeyid",
    "access key id you provided does not exist",
    "signaturedoesnotmatch",
    "signature we calculated does not match",
    "invalidclienttokenid",
    "expiredtoken",
    "unable to locate credentials",
    "nocredentialserror",
    "invalidtoken",
)
S3_ACCESS_DENIED_MARKERS = ("accessdenied", "access denied")
S3_NO_BUCKET_MARKERS = ("nosuchbucket", "specified bucket does not exist")
S3_ENDPOINT_MARKERS = (
    "could not connect to the endpoint url",
    "endpointconnectionerror",
    "max retries exceeded",
    "connect timeout on endpoint",
    "read timeout on endpoint",
)
DATABASE_MARKERS = (
    "operationalerror",
    "psycopg",
    "sqlalchemy",
    "could not connect to server",
    "connection to server at",
    "could not translate host name",
    "server closed the connection unexpectedly",
    "database",
    "out-of-date database schema",
)
ARTIFACTS_DISABLED_MARKERS = ("--serve-artifacts", "artifact serving is disabled", "artifact serving is not configured")

# What a request depends on, so that diagnose() picks the causes that fit. The module says
# it for each of its requests.
PUBLIC = "public"  # answered to anyone, without the database: /health, /version
FIXED_ROUTE = "fixed_route"  # served by every MLflow tracking server: a 404 means a wrong url
BACKEND_STORE = "backend_store"  # reaches the database
ARTIFACT_STORE = "artifact_store"  # reaches the S3 (or other) artifact store
MODEL_REGISTRY = "model_registry"  # needs a backend store with a model registry


def is_host_rejection(status, text):
    """MLflow's host-header check (uvicorn server, --allowed-hosts) refused the request."""
    lowered = (text or "").lower()
    return status in (400, 403) and any(m in lowered for m in HOST_REJECTED_MARKERS)


def _bucket_in(text):
    match = re.search(r"s3a?://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])", text or "")
    if match:
        return match.group(1)
    match = re.search(r"bucket[ '\"=:]+([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])['\"]?", text or "", re.IGNORECASE)
    if match and match.group(1).lower() not in ("does", "not", "the"):
        return match.group(1)
    return None


def artifact_store_cause(text):
    """Likely cause behind an artifact store failure reported in ``text``; None if unrecognised."""
    lowered = (text or "").lower()
    bucket = _bucket_in(text)
    if any(m in lowered for m in S3_NO_BUCKET_MARKERS):
        named = "'%s' " % bucket if bucket else ""
        return (
            "the artifact store's bucket %sdoes not exist: create it (mlops.mlflow.s3_bucket) or point the "
            "server's --artifacts-destination at an existing bucket" % named
        )
    if any(m in lowered for m in S3_CREDENTIAL_MARKERS):
        return (
            "the artifact store refused the MLflow server's S3 credentials (wrong access key or secret key): "
            "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the server against the S3/MinIO user"
        )
    if any(m in lowered for m in S3_ACCESS_DENIED_MARKERS):
        named = " '%s'" % bucket if bucket else ""
        return (
            "the artifact store denied the MLflow server's S3 user access to the bucket%s: give that user "
            "read and write permission on it (bucket or user policy)" % named
        )
    if any(m in lowered for m in S3_ENDPOINT_MARKERS):
        return "the MLflow server cannot reach its artifact store: check MLFLOW_S3_ENDPOINT_URL of the server and that the S3/MinIO endpoint is running"
    if any(m in lowered for m in ARTIFACTS_DISABLED_MARKERS):
        return "the server does not serve artifacts: start mlflow server with --serve-artifacts"
    return None


def transport_cause(reply, timeout=None):
    """Likely cause when ``reply`` has no HTTP answer at all."""
    kind = reply.error_kind
    if kind == "refused":
        return "nothing listens at %s: check url and that the MLflow server is running" % reply.url
    if kind == "timeout":
        waited = " within %s s" % timeout if timeout else ""
        return "no answer from %s%s: check url, firewalls, and that the MLflow server is running and not overloaded" % (reply.url, waited)
    if kind == "dns":
        return "the host name in %s does not resolve: check url" % reply.url
    if kind == "tls":
        return (
            "the TLS connection to %s failed: trust the server's CA with ca_path (MLFLOW_TRACKING_SERVER_CERT_PATH), "
            "or use http:// if the server does not speak TLS" % reply.url
        )
    if kind == "reset":
        return "the connection to %s was dropped: check url (http vs https) and that the MLflow server is running" % reply.url
    return "cannot reach %s: check url and that the MLflow server is running" % reply.url


def host_rejection_cause(host, allowed_hosts_hint=None):
    """The server's host-header check refused ``host``; the hint says where a deployment
    sets --allowed-hosts (a role variable, say)."""
    hint = " (%s)" % allowed_hosts_hint if allowed_hosts_hint else ""
    return "host header '%s' rejected: add it to the server's --allowed-hosts%s, or reach the server by a name it allows" % (host, hint)


def diagnose(reply, needs=(), *, host_header=None, timeout=None, detail_text=None, allowed_hosts_hint=None):
    """The likely cause of a failed request from its ``reply``, as a sentence.

    ``needs`` says what the request depends on (PUBLIC, FIXED_ROUTE, BACKEND_STORE,
    ARTIFACT_STORE, MODEL_REGISTRY). For artifact requests ``detail_text`` is the text of a
    follow-up request that reports the artifact store's own error.
    """
    if reply.status is None:
        cause = transport_cause(reply, timeout)
        if reply.error_kind == "timeout" and BACKEND_STORE in needs:
            cause += "; /health answered, so the server runs but its backend store (database) is probably down, unreachable or too slow"
        return cause
    status, text = reply.status, reply.text
    lowered = text.lower()
    if is_host_rejection(status, text):
        return host_rejection_cause(host_header or urlsplit(reply.url).netloc, allowed_hosts_hint)
    if ARTIFACT_STORE in needs:
        for candidate in (detail_text, text):
            cause = artifact_store_cause(candidate)
            if cause:
                return cause
    if status == 401:
        return "the server requires authentication: set username and password (MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD) or check them"
    if PUBLIC in needs and 400 <= status < 500 and status != 404:
        return (
            "MLflow answers /health and /version to anyone, so url probably does not point to an MLflow tracking server "
            "(or a proxy in front of it refuses the request)"
        )
    if status == 403:
        return "the server refused the request: the user lacks permission for this operation"
    if status == 404 and FIXED_ROUTE in needs:
        return "no MLflow REST API at %s: check that url points to an MLflow tracking server, including any path prefix (--static-prefix)" % reply.url
    if any(m in lowered for m in DATABASE_MARKERS) and status >= 500 and ARTIFACT_STORE not in needs:
        return "the backend store (database) is down or unreachable: check the PostgreSQL server and the server's --backend-store-uri"
    if status in (502, 503, 504) and not any(m in lowered for m in ARTIFACTS_DISABLED_MARKERS):
        return "a proxy or load balancer answered, but the MLflow server behind it is not (yet) running or not reachable"
    if ARTIFACT_STORE in needs and status >= 500:
        return "the MLflow server could not use its artifact store (wrong S3 credentials, missing bucket or unreachable S3 endpoint): see the server's log"
    if MODEL_REGISTRY in needs and status == 501:
        return "the server has no model registry (its backend store does not support one)"
    if BACKEND_STORE in needs and status >= 500:
        return (
            "/health answers but the REST API fails: the backend store (database) is probably down or unreachable, "
            "or its schema is out of date (mlflow db upgrade); see the server's log"
        )
    return "unexpected answer from the MLflow server"


def failure_message(action, reply, cause):
    """``<action> failed: GET http://...: HTTP 500 ...; likely cause: ...``"""
    return "%s failed: %s %s: %s; likely cause: %s" % (action, reply.method, reply.url, describe_reply(reply), cause)


# --------------------------------------------------------------------------- client


class MlflowClient:
    """Requests to one MLflow tracking server. Never raises for HTTP or network errors."""

    def __init__(
        self,
        base_url,
        *,
        username=None,
        password=None,
        validate_certs=True,
        ca_path=None,
        timeout=DEFAULT_TIMEOUT,
        agent="mlops.mlflow",
        opener=None,
        sleep=None,
    ):
        self.base_url = base_url
        self.username = username
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.agent = agent
        self._open = opener or open_url
        self._sleep = sleep or time.sleep

    def url(self, path, query=None):
        return build_url(self.base_url, path, query)

    def request(self, method, path, **kwargs):
        """One request; a GET whose connection is dropped without an answer is tried again.

        A server that just started answers /health from its first worker while the others are
        still coming up (or restarting), and those can drop a connection; GETs are safe to
        repeat, writes are not. No HTTP status is ever repeated. Keyword arguments are those
        of ``_request_once``.
        """
        reply = self._request_once(method, path, **kwargs)
        for _attempt in range(RESET_RETRIES if method == "GET" else 0):
            if reply.error_kind != "reset":
                break
            self._sleep(RESET_RETRY_DELAY)
            reply = self._request_once(method, path, **kwargs)
        return reply

    def _request_once(
        self,
        method,
        path,
        *,
        query=None,
        json_body=None,
        data=None,
        content_type=None,
        url=None,
        headers=None,
        authenticate=True,
        timeout=None,
        shown_url=None,
    ):
        """``url`` (or the server's ``path``), sending the server's credentials unless
        ``authenticate`` is false; the Reply carries ``shown_url`` instead when given."""
        url = url or self.url(path, query)
        sent = {"Accept": "application/json, text/plain, */*"}
        sent.update(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            content_type = "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        auth = {}
        if authenticate and (self.username is not None or self.password is not None):
            auth = dict(url_username=self.username or "", url_password=self.password or "", force_basic_auth=True)
        shown = shown_url or url
        started = time.monotonic()
        try:
            resp = self._open(
                url,
                data=data,
                headers=sent,
                method=method,
                timeout=timeout or self.timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_path,
                http_agent=self.agent,
                follow_redirects="safe",
                use_netrc=False,
                **auth,
            )
            body = resp.read()
            status = resp.getcode() if hasattr(resp, "getcode") else resp.status
            return Reply(method, shown, status=status, body=body, reason=getattr(resp, "reason", ""), elapsed_ms=_ms_since(started))
        except HTTPError as exc:
            try:
                body = exc.read()
            except (OSError, ValueError, HTTPException):  # a body that cannot be read is just empty
                body = b""
            return Reply(method, shown, status=exc.code, body=body, reason=exc.reason if isinstance(exc.reason, str) else "", elapsed_ms=_ms_since(started))
        except (URLError, UrlsConnectionError, SSLValidationError, HTTPException, OSError, ValueError) as exc:
            kind, text = classify_transport_error(exc)
            return Reply(method, shown, error=text, error_kind=kind, elapsed_ms=_ms_since(started))

    # REST calls, each returning its Reply.

    def health(self):
        return self.request("GET", "/health")

    def version(self):
        return self.request("GET", "/version")

    def host_probe(self):
        return self.request("GET", HOST_PROBE_PATH)

    def server_info(self):
        return self.request("GET", SERVER_INFO_PATH)

    def search_experiments(self, max_results, page_token=None):
        return self.request("GET", API + "/experiments/search", query={"max_results": max_results, "page_token": page_token})

    def search_registered_models(self, max_results, page_token=None):
        return self.request("GET", API + "/registered-models/search", query={"max_results": max_results, "page_token": page_token})

    def create_experiment(self, name, tags):
        return self.request("POST", API + "/experiments/create", json_body={"name": name, "tags": tags})

    def get_experiment(self, experiment_id):
        return self.request("GET", API + "/experiments/get", query={"experiment_id": experiment_id})

    def delete_experiment(self, experiment_id):
        return self.request("POST", API + "/experiments/delete", json_body={"experiment_id": experiment_id})

    def create_run(self, experiment_id, run_name, tags):
        return self.request(
            "POST",
            API + "/runs/create",
            json_body={"experiment_id": experiment_id, "run_name": run_name, "start_time": int(time.time() * 1000), "tags": tags},
        )

    def delete_run(self, run_id):
        return self.request("POST", API + "/runs/delete", json_body={"run_id": run_id})

    def create_registered_model(self, name, tags):
        return self.request("POST", API + "/registered-models/create", json_body={"name": name, "tags": tags})

    def get_registered_model(self, name):
        return self.request("GET", API + "/registered-models/get", query={"name": name})

    def delete_registered_model(self, name):
        return self.request("DELETE", API + "/registered-models/delete", json_body={"name": name})

    def create_model_version(self, name, source, run_id):
        return self.request("POST", API + "/model-versions/create", json_body={"name": name, "source": source, "run_id": run_id})

    def get_model_version(self, name, version):
        return self.request("GET", API + "/model-versions/get", query={"name": name, "version": version})

    def delete_model_version(self, name, version):
        return self.request("DELETE", API + "/model-versions/delete", json_body={"name": name, "version": version})

    def upload_artifact(self, artifact_path, data):
        return self.request("PUT", None, data=data, content_type="application/octet-stream", url=artifact_url(self.base_url, artifact_path))

    def download_artifact(self, artifact_path):
        return self.request("GET", None, url=artifact_url(self.base_url, artifact_path))

    def presigned_download(self, artifact_path):
        """The server's presigned download URL for ``artifact_path`` (JSON: url, headers, file_size)."""
        return self.request("GET", None, url=presigned_url(self.base_url, artifact_path))

    def fetch_presigned(self, url, headers, size):
        """``size`` bytes from a presigned URL, as MLflow's client fetches a chunk: the URL's
        headers and a Range, no credentials of the tracking server (the URL carries its own),
        MLflow's chunk timeout at most. The Reply shows the URL without its query."""
        sent = dict(headers)
        if size:
            sent["Range"] = "bytes=0-%d" % (size - 1)
        shown = url_without_query(url)
        reply = self.request(
            "GET",
            None,
            url=url,
            headers=sent,
            authenticate=False,
            timeout=min(self.timeout, PRESIGNED_TIMEOUT),
            shown_url=shown,
        )
        if reply.error:
            reply.error = reply.error.replace(url, shown)
        return reply

    def list_artifacts(self, path):
        return self.request("GET", ARTIFACTS_API, query={"path": path})

    def delete_artifacts(self, artifact_path):
        return self.request("DELETE", None, url=artifact_url(self.base_url, artifact_path))


def _ms_since(started):
    return round((time.monotonic() - started) * 1000.0, 1)
