"""Pure logic of plugins/module_utils/_mlflow.py: URLs, versions, replies, failure diagnosis.

The response bodies below are the ones MLflow 3.17 and MinIO really send (seen against the
lab's servers), so the diagnosis is tested against what it will meet.
"""

from __future__ import annotations

import io
import re
import socket
import ssl
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.mlops.mlflow.plugins.module_utils._mlflow import (
    ARTIFACT_STORE,
    BACKEND_STORE,
    FIXED_ROUTE,
    MODEL_REGISTRY,
    PUBLIC,
    MlflowClient,
    Reply,
    advertised_transfers,
    artifact_path_from_uri,
    artifact_store_cause,
    artifact_url,
    body_excerpt,
    build_url,
    classify_transport_error,
    describe_reply,
    diagnose,
    failure_message,
    is_host_rejection,
    mlflow_argument_spec,
    parse_presigned_download,
    parse_server_url,
    parse_version,
    presigned_url,
    resolve_validate_certs,
    url_origin,
    url_without_query,
    version_matches,
)

BASE = "http://127.0.0.1:15000"
INVALID_HOST = "Invalid Host header - possible DNS rebinding attack detected"
FLASK_500 = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
    "<p>The server encountered an internal error and was unable to complete your request. Either the server is "
    "overloaded or there is an error in the application.</p>\n"
)
LIST_BAD_KEY = (
    '{"error_code": "UNAUTHENTICATED", "message": "Failed to list artifacts in s3://mlops-it-mlflow: '
    'The Access Key Id you provided does not exist in our records."}'
)
LIST_BAD_SECRET = (
    '{"error_code": "UNAUTHENTICATED", "message": "Failed to list artifacts in s3://mlops-it-mlflow: The request '
    'signature we calculated does not match the signature you provided. Check your key and signing method."}'
)
LIST_NO_BUCKET = (
    '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Failed to list artifacts in s3://no-such-bucket-h4: '
    'The specified bucket does not exist", "sqlstate": "KAM00", "error_class": "RESOURCE_NOT_FOUND"}'
)
LIST_DENIED = '{"error_code": "PERMISSION_DENIED", "message": "Failed to list artifacts in s3://models: Access Denied."}'


# What registry_check says its requests depend on, by kind of request.
OPEN = (PUBLIC, FIXED_ROUTE)  # /health, /version
SEARCH = (BACKEND_STORE, FIXED_ROUTE)  # experiments search
REGISTRY = (BACKEND_STORE, FIXED_ROUTE, MODEL_REGISTRY)  # registered models search
WRITE = (BACKEND_STORE,)  # create experiment, run, model version
ARTIFACT = (ARTIFACT_STORE,)  # upload, download


def reply(status=None, body="", method="GET", path="/api/2.0/mlflow/experiments/search", **kwargs):
    return Reply(method, BASE + path, status=status, body=body.encode(), **kwargs)


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "base", "host"),
    [
        ("http://127.0.0.1:15000", "http://127.0.0.1:15000", "127.0.0.1:15000"),
        ("http://127.0.0.1:15000/", "http://127.0.0.1:15000", "127.0.0.1:15000"),
        ("https://mlflow.example.com", "https://mlflow.example.com", "mlflow.example.com"),
        ("https://MLflow.Example.com:8443/mlflow/", "https://MLflow.Example.com:8443/mlflow", "mlflow.example.com:8443"),
        ("http://[::1]:5000", "http://[::1]:5000", "[::1]:5000"),
        ("  http://mlflow:5000  ", "http://mlflow:5000", "mlflow:5000"),
    ],
)
def test_parse_server_url(url, base, host):
    assert parse_server_url(url) == (base, host)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (None, "set url or the environment variable MLFLOW_TRACKING_URI"),
        ("", "set url or the environment variable MLFLOW_TRACKING_URI"),
        ("databricks", "is not an http(s) URL"),
        ("file:///tmp/mlruns", "is not an http(s) URL"),
        ("mlflow.example.com:5000", "is not an http(s) URL"),
        ("http://admin:secret@mlflow:5000", "must not contain credentials: set username and password"),
        ("http://mlflow:99999", "invalid port"),
        ("http://:5000", "names no host"),
        ("http://mlflow:5000/?x=1", "query string"),
    ],
)
def test_parse_server_url_refuses(url, problem):
    with pytest.raises(ValueError, match=r".*") as info:
        parse_server_url(url)
    assert problem in str(info.value)
    assert "secret" not in str(info.value)


def test_build_url_keeps_prefix_and_drops_none():
    assert build_url("http://h/mlflow", "/health") == "http://h/mlflow/health"
    assert build_url(BASE, "/x", {"max_results": 1000, "page_token": None}) == BASE + "/x?max_results=1000"
    assert build_url(BASE, "/x", {"page_token": "a b/=="}) == BASE + "/x?page_token=a+b%2F%3D%3D"
    assert build_url(BASE, "/x", {"page_token": None}) == BASE + "/x"


def test_artifact_url_quotes_but_keeps_slashes():
    assert artifact_url(BASE, "/1/abc/artifacts/probe/probe.bin") == BASE + "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/probe/probe.bin"
    assert artifact_url(BASE, "1/a b/x#y") == BASE + "/api/2.0/mlflow-artifacts/artifacts/1/a%20b/x%23y"


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts"),
        ("mlflow-artifacts:/1/abc/artifacts/", "1/abc/artifacts"),
        ("mlflow-artifacts://mlflow.example.com:5000/7/abc/artifacts", "7/abc/artifacts"),
        ("http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/team/1/abc/artifacts", "team/1/abc/artifacts"),
        ("mlflow-artifacts:/1/a%20b/artifacts", "1/a b/artifacts"),
        ("s3://bucket/1/abc/artifacts", None),
        ("file:///mlruns/1/abc/artifacts", None),
        ("http://mlflow:5000/somewhere/else", None),
        ("mlflow-artifacts:/", None),
        ("", None),
        (None, None),
    ],
)
def test_artifact_path_from_uri(uri, path):
    assert artifact_path_from_uri(uri) == path


def test_presigned_url_is_the_clients_request():
    # MLflow's HttpArtifactRepository._get_presigned_download_url asks this path.
    assert presigned_url(BASE + "/mlflow", "1/abc/artifacts/model") == BASE + "/mlflow/api/2.0/mlflow-artifacts/presigned/1/abc/artifacts/model"
    assert presigned_url(BASE, "/1/a b/x") == BASE + "/api/2.0/mlflow-artifacts/presigned/1/a%20b/x"


def test_presigned_url_parts_shown_without_credentials():
    url = PRESIGNED["url"]
    assert url_origin(url) == "http://mlflow-minio:9000"
    assert url_without_query(url) == "http://mlflow-minio:9000/mlflow/1/abc/artifacts/probe/probe.bin"
    assert "X-Amz" not in url_without_query(url)
    assert url_origin("not a url") == ""


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("text", "release"),
    [("3.17.2", (3, 17, 2)), ("v3.17", (3, 17)), ("3.18.0rc1", (3, 18, 0)), ("3.17.2\n", (3, 17, 2)), ("<html>", None), ("", None), (None, None)],
)
def test_parse_version(text, release):
    assert parse_version(text) == release


@pytest.mark.parametrize(
    ("expected", "actual", "match"),
    [
        ("3.17.2", "3.17.2", True),
        ("v3.17.2", "3.17.2", True),
        ("3.17", "3.17.2", True),
        ("3", "3.17.2", True),
        ("3.17.0", "3.17", True),
        ("3.17.2", "3.17.20", False),
        ("3.16.1", "3.17.2", False),
        ("3.17.2", "3.17", False),
        ("3.17.1", "3.17.10", False),
        ("3.18.0rc1", "3.18.0rc1", True),
        ("3.18.0", "3.18.0rc1", False),
        ("3.18.0rc1", "3.18.0", False),
        ("3.18", "3.18.0.dev0", False),
        ("main", "3.17.2", False),
    ],
)
def test_version_matches(expected, actual, match):
    assert version_matches(expected, actual) is match


# --------------------------------------------------------------------------- server-info

# What MLflow 3.17.2 answers on /api/3.0/mlflow/server-info with proxied S3 artifacts (stock).
SERVER_INFO_317 = {
    "store_type": "SqlStore",
    "workspaces_enabled": False,
    "trace_archival_enabled": False,
    "multipart_uploads_enabled": True,
    "multipart_downloads_enabled": True,
    "presigned_upload_run_id_supported": True,
    "presigned_upload_model_id_supported": True,
    "features_enabled": {"gateway": True},
}
# ... and on /api/2.0/mlflow-artifacts/presigned/<path> (signed for its MLFLOW_S3_ENDPOINT_URL).
PRESIGNED = {
    "url": (
        "http://mlflow-minio:9000/mlflow/1/abc/artifacts/probe/probe.bin?response-content-disposition=attachment"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261201%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20261201T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=0123abcd"
    ),
    "headers": {},
    "file_size": 1024,
}


def test_advertised_transfers_as_the_client_reads_them():
    assert advertised_transfers(SERVER_INFO_317) == {"multipart_downloads_enabled": True, "multipart_uploads_enabled": True}
    assert advertised_transfers(dict(SERVER_INFO_317, multipart_downloads_enabled=False, multipart_uploads_enabled=False)) == {
        "multipart_downloads_enabled": False,
        "multipart_uploads_enabled": False,
    }
    # A server that predates the keys, or has no server-info at all (None): nothing advertised.
    assert advertised_transfers({"store_type": "SqlStore"}) == {"multipart_downloads_enabled": False, "multipart_uploads_enabled": False}
    assert advertised_transfers(None) == {"multipart_downloads_enabled": False, "multipart_uploads_enabled": False}


def test_parse_presigned_download():
    assert parse_presigned_download(PRESIGNED) == (PRESIGNED["url"], {}, 1024)
    assert parse_presigned_download({"url": "https://s3.example.com/b/k?sig", "headers": {"x-amz-a": 1}, "file_size": "7"}) == (
        "https://s3.example.com/b/k?sig",
        {"x-amz-a": "1"},
        7,
    )
    # No size: MLflow's client then downloads through the server.
    assert parse_presigned_download({"url": "https://s3.example.com/b/k"})[2] is None


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([], "not a JSON object"),
        ({}, "no http(s) URL"),
        ({"url": "s3://bucket/key"}, "no http(s) URL"),
        ({"url": "http:///nohost"}, "no http(s) URL"),
        ({"url": "http://s3/b/k", "headers": ["a"]}, "headers are not a JSON object"),
        ({"url": "http://s3/b/k", "file_size": "big"}, "file_size 'big' is not a number"),
    ],
)
def test_parse_presigned_download_refuses(doc, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_presigned_download(doc)


# --------------------------------------------------------------------------- replies


def test_body_excerpt_html_json_and_length():
    assert body_excerpt(FLASK_500).startswith("500 Internal Server Error Internal Server Error The server encountered")
    assert body_excerpt(LIST_NO_BUCKET) == ("RESOURCE_DOES_NOT_EXIST: Failed to list artifacts in s3://no-such-bucket-h4: The specified bucket does not exist")
    assert body_excerpt('{"message": "plain"}') == "plain"
    # MLflow's messages can hold newlines: one line in a message.
    assert body_excerpt('{"error_code": "INTERNAL_ERROR", "message": "failures:\\n##### File a #####\\nNot Found"}') == (
        "INTERNAL_ERROR: failures: ##### File a ##### Not Found"
    )
    long = body_excerpt("x " * 500, limit=50)
    assert len(long) <= 50
    assert long.endswith("...")


def test_describe_reply():
    assert describe_reply(reply(403, INVALID_HOST, reason="Forbidden")) == "HTTP 403 Forbidden: " + INVALID_HOST
    assert describe_reply(reply(500, "Internal Server Error", reason="Internal Server Error")) == "HTTP 500 Internal Server Error"
    assert describe_reply(reply(error="[Errno 111] Connection refused", error_kind="refused")) == "[Errno 111] Connection refused"
    assert describe_reply(reply(200)) == "HTTP 200"


def test_reply_json():
    assert reply(200, "").json() == {}
    assert reply(200, '{"experiment_id": "3"}').json() == {"experiment_id": "3"}
    with pytest.raises(ValueError, match="Expecting value"):
        reply(200, "<html>").json()
    assert reply(204).ok
    assert not reply(404).ok
    assert not reply(error="x").ok


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (URLError(ConnectionRefusedError(111, "Connection refused")), "refused"),
        (URLError(socket.timeout("timed out")), "timeout"),
        (TimeoutError("The read operation timed out"), "timeout"),
        (URLError(socket.gaierror(-2, "Name or service not known")), "dns"),
        (URLError(ssl.SSLCertVerificationError("certificate verify failed: unable to get local issuer certificate")), "tls"),
        (ConnectionResetError(104, "Connection reset by peer"), "reset"),
        (URLError("unknown url type: ftp"), "other"),
    ],
)
def test_classify_transport_error(exc, kind):
    assert classify_transport_error(exc)[0] == kind


# --------------------------------------------------------------------------- diagnosis


def test_host_rejection_is_recognised_only_as_such():
    assert is_host_rejection(403, INVALID_HOST)
    assert not is_host_rejection(403, '{"error_code": "PERMISSION_DENIED", "message": "Permission denied"}')
    assert not is_host_rejection(200, INVALID_HOST)


@pytest.mark.parametrize("needs", [(), SEARCH, REGISTRY, ARTIFACT])
def test_diagnose_host_header(needs):
    cause = diagnose(reply(403, INVALID_HOST), needs, host_header="10.0.0.5:15000", allowed_hosts_hint="role variable x_hosts")
    assert cause == (
        "host header '10.0.0.5:15000' rejected: add it to the server's --allowed-hosts (role variable x_hosts), or reach the server by a name it allows"
    )


def test_diagnose_host_header_without_hint_names_no_setting():
    cause = diagnose(reply(403, INVALID_HOST), SEARCH)
    assert cause == "host header '127.0.0.1:15000' rejected: add it to the server's --allowed-hosts, or reach the server by a name it allows"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (LIST_BAD_KEY, "refused the MLflow server's S3 credentials"),
        (LIST_BAD_SECRET, "refused the MLflow server's S3 credentials"),
        ("An error occurred (InvalidAccessKeyId) when calling the PutObject operation", "S3 credentials"),
        ("botocore.exceptions.NoCredentialsError: Unable to locate credentials", "S3 credentials"),
        (LIST_NO_BUCKET, "bucket 'no-such-bucket-h4' does not exist"),
        ("An error occurred (NoSuchBucket) when calling the PutObject operation: bucket=models", "bucket 'models' does not exist"),
        ("NoSuchBucket", "bucket does not exist"),
        (LIST_DENIED, "denied the MLflow server's S3 user access to the bucket 'models'"),
        ("Could not connect to the endpoint URL: http://minio:9000/mlflow", "cannot reach its artifact store"),
        ("Artifact serving is disabled. Run `mlflow server` with `--serve-artifacts` to enable.", "--serve-artifacts"),
    ],
)
def test_artifact_store_cause(body, words):
    assert words in artifact_store_cause(body)


def test_artifact_store_cause_unknown():
    assert artifact_store_cause("Internal Server Error") is None
    assert artifact_store_cause("") is None
    assert artifact_store_cause(None) is None


def test_upload_500_uses_the_listing_to_name_the_cause():
    upload = reply(500, "Internal Server Error", method="PUT", path="/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/probe/probe.bin")
    assert "S3 credentials" in diagnose(upload, ARTIFACT, detail_text=LIST_BAD_KEY)
    assert "'no-such-bucket-h4' does not exist" in diagnose(upload, ARTIFACT, detail_text=LIST_NO_BUCKET)
    # No listing to go by: still points at the artifact store, not at the database.
    cause = diagnose(upload, ARTIFACT)
    assert "artifact store" in cause
    assert "database" not in cause


def test_mlflow_basic_auth_401_is_not_taken_for_s3_credentials():
    auth = "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html on how to authenticate."
    cause = diagnose(reply(401, auth), ARTIFACT, detail_text=auth)
    assert "set username and password" in cause


@pytest.mark.parametrize("needs", [SEARCH, REGISTRY, WRITE])
def test_database_down_after_health(needs):
    cause = diagnose(reply(500, FLASK_500, reason="Internal Server Error"), needs)
    assert "backend store (database)" in cause
    assert "mlflow db upgrade" in cause


def test_database_named_in_body():
    body = '{"error_code": "INTERNAL_ERROR", "message": "(psycopg2.OperationalError) could not translate host name \\"pg\\""}'
    assert "backend store (database) is down or unreachable" in diagnose(reply(500, body), REGISTRY)


def test_database_gone_from_the_network():
    # MLflow 3.17 with its PostgreSQL container stopped (host name no longer resolves).
    body = (
        '{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "(psycopg2.OperationalError) could not translate host name '
        '\\"mlops-it-h4-81257-pg\\" to address: Name or service not known\\n\\n(Background on this error at: '
        'https://sqlalche.me/e/21/e3q8)"}'
    )
    cause = diagnose(reply(503, body, reason="Service Unavailable"), SEARCH)
    assert cause.startswith("the backend store (database) is down or unreachable")
    assert "proxy" not in cause


def test_timeout_on_api_names_the_database():
    cause = diagnose(reply(error="The read operation timed out", error_kind="timeout"), SEARCH, timeout=30)
    assert "no answer from %s/api/2.0/mlflow/experiments/search within 30 s" % BASE in cause
    assert "backend store (database)" in cause


def test_timeout_on_health_does_not_blame_the_database():
    cause = diagnose(reply(error="timed out", error_kind="timeout", path="/health"), OPEN, timeout=5)
    assert "database" not in cause
    assert "is running" in cause


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("refused", "nothing listens at http://127.0.0.1:15000/health: check url and that the MLflow server is running"),
        ("dns", "does not resolve: check url"),
        ("tls", "ca_path (MLFLOW_TRACKING_SERVER_CERT_PATH)"),
        ("reset", "was dropped"),
        ("other", "cannot reach http://127.0.0.1:15000/health"),
    ],
)
def test_transport_causes(kind, words):
    assert words in diagnose(reply(error="x", error_kind=kind, path="/health"), OPEN)


@pytest.mark.parametrize(
    ("status", "needs", "words"),
    [
        (401, SEARCH, "set username and password"),
        (403, REGISTRY, "lacks permission"),
        (404, OPEN, "no MLflow REST API at"),
        (404, SEARCH, "--static-prefix"),
        (404, WRITE, "unexpected answer"),
        (502, SEARCH, "proxy or load balancer"),
        (503, OPEN, "not (yet) running"),
        (418, OPEN, "url probably does not point to an MLflow tracking server"),
        (403, OPEN, "url probably does not point to an MLflow tracking server"),
        (501, REGISTRY, "no model registry"),
        (501, SEARCH, "/health answers but the REST API fails"),
        (409, SEARCH, "unexpected answer"),
    ],
)
def test_http_causes(status, needs, words):
    assert words in diagnose(reply(status, "whatever"), needs)


def test_failure_message_names_step_request_answer_cause():
    r = reply(500, FLASK_500, reason="Internal Server Error")
    message = failure_message("registry_check step 'tracking'", r, diagnose(r, SEARCH))
    assert message.startswith("registry_check step 'tracking' failed: GET %s/api/2.0/mlflow/experiments/search: HTTP 500" % BASE)
    assert "; likely cause: /health answers but the REST API fails" in message


# --------------------------------------------------------------------------- options and client


def test_argument_spec_secrets_and_environment():
    spec = mlflow_argument_spec()
    assert spec["password"]["no_log"] is True
    assert spec["url"]["fallback"][1] == ["MLFLOW_TRACKING_URI"]
    assert spec["username"]["fallback"][1] == ["MLFLOW_TRACKING_USERNAME"]
    assert spec["password"]["fallback"][1] == ["MLFLOW_TRACKING_PASSWORD"]
    assert spec["ca_path"]["fallback"][1] == ["MLFLOW_TRACKING_SERVER_CERT_PATH"]
    assert "default" not in spec["validate_certs"]


@pytest.mark.parametrize(
    ("option", "env", "verify"),
    [
        (None, {}, True),
        (None, {"MLFLOW_TRACKING_INSECURE_TLS": "true"}, False),
        (None, {"MLFLOW_TRACKING_INSECURE_TLS": "false"}, True),
        (True, {"MLFLOW_TRACKING_INSECURE_TLS": "true"}, True),
        (False, {}, False),
    ],
)
def test_resolve_validate_certs(option, env, verify):
    assert resolve_validate_certs(option, env) is verify


class FakeResponse(io.BytesIO):
    status = 200
    reason = "OK"

    def getcode(self):
        return self.status


def test_client_request_shapes_and_maps_errors():
    calls = []

    def opener(url, **kwargs):
        calls.append((url, kwargs))
        if url.endswith("/refused"):
            raise URLError(ConnectionRefusedError(111, "Connection refused"))
        if url.endswith("/forbidden"):
            raise HTTPError(url, 403, "Forbidden", {}, io.BytesIO(INVALID_HOST.encode()))
        return FakeResponse(b'{"ok": true}')

    client = MlflowClient(BASE + "/prefix", username="u", password="p", timeout=7, opener=opener)
    ok = client.request("POST", "/api/x", json_body={"a": 1})
    assert ok.ok
    assert ok.json() == {"ok": True}
    url, kwargs = calls[-1]
    assert url == BASE + "/prefix/api/x"
    assert kwargs["data"] == b'{"a": 1}'
    assert kwargs["headers"]["Content-Type"] == "application/json"
    assert kwargs["method"] == "POST"
    assert kwargs["timeout"] == 7
    assert kwargs["force_basic_auth"] is True
    assert kwargs["url_username"] == "u"
    assert kwargs["url_password"] == "p"

    forbidden = client.request("GET", "/forbidden")
    assert forbidden.status == 403
    assert forbidden.text == INVALID_HOST

    refused = client.request("GET", "/refused")
    assert refused.status is None
    assert refused.error_kind == "refused"

    anonymous = MlflowClient(BASE, opener=opener)
    anonymous.health()
    assert "url_password" not in calls[-1][1]
    assert calls[-1][0] == BASE + "/health"


def test_client_repeats_a_dropped_get_but_not_a_write():
    calls = []

    def opener(url, **kwargs):
        calls.append(kwargs["method"])
        if len(calls) in (1, 2, 5):
            raise URLError(ConnectionResetError(104, "Connection reset by peer"))
        return FakeResponse(b"3.17.2")

    client = MlflowClient(BASE, opener=opener, sleep=lambda s: None)
    assert client.version().text == "3.17.2"
    assert calls == ["GET", "GET", "GET"]
    calls.clear()
    calls.extend(["x", "x", "x"])  # the next call is number 4 (succeeds), then 5 (dropped)
    assert client.request("POST", "/api/x", json_body={}).ok
    dropped = client.request("POST", "/api/x", json_body={})
    assert dropped.error_kind == "reset"
    assert calls[3:] == ["POST", "POST"]


def test_client_gives_up_on_a_get_that_keeps_dropping():
    calls = []

    def opener(url, **kwargs):
        calls.append(url)
        raise URLError(ConnectionResetError(104, "Connection reset by peer"))

    reply = MlflowClient(BASE, opener=opener, sleep=lambda s: None).health()
    assert reply.error_kind == "reset"
    assert len(calls) == 4


def test_client_does_not_repeat_an_http_error():
    # A 500 is an answer: never repeated, so a server that answers 500 cannot stretch the check.
    calls = []

    def opener(url, **kwargs):
        calls.append(url)
        raise HTTPError(url, 500, "Internal Server Error", {}, io.BytesIO(b"boom"))

    reply = MlflowClient(BASE, opener=opener, sleep=lambda s: None).download_artifact("1/r/artifacts/model")
    assert reply.status == 500
    assert calls == [BASE + "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model"]


def test_client_server_info_and_presigned_requests():
    calls = []

    def opener(url, **kwargs):
        calls.append((url, kwargs))
        return FakeResponse(b"{}")

    client = MlflowClient(BASE + "/mlflow", username="u", password="p", agent="mlops.mlflow.test", opener=opener)
    client.server_info()
    assert calls[-1][0] == BASE + "/mlflow/api/3.0/mlflow/server-info"
    assert calls[-1][1]["http_agent"] == "mlops.mlflow.test"
    client.presigned_download("1/r/artifacts/probe/probe.bin")
    assert calls[-1][0] == BASE + "/mlflow/api/2.0/mlflow-artifacts/presigned/1/r/artifacts/probe/probe.bin"
    assert calls[-1][1]["url_password"] == "p"


def test_client_fetches_a_presigned_url_like_mlflows_client():
    calls = []

    def opener(url, **kwargs):
        calls.append((url, kwargs))
        if "refused" in url:
            raise URLError(ConnectionRefusedError(111, "Connection refused"))
        if "odd" in url:
            raise ValueError("cannot open %s" % url)
        return FakeResponse(b"x" * 1024)

    client = MlflowClient(BASE, username="u", password="p", timeout=30, opener=opener)
    got = client.fetch_presigned(PRESIGNED["url"], {"x-amz-server-side-encryption-customer-algorithm": "AES256"}, 1024)
    url, kwargs = calls[-1]
    assert url == PRESIGNED["url"]  # signed query intact
    assert kwargs["headers"]["Range"] == "bytes=0-1023"
    assert kwargs["headers"]["x-amz-server-side-encryption-customer-algorithm"] == "AES256"
    # The URL carries its own credential: the tracking server's must not go to S3.
    assert "url_password" not in kwargs
    assert "force_basic_auth" not in kwargs
    assert kwargs["timeout"] == 10
    assert got.ok
    assert got.url == "http://mlflow-minio:9000/mlflow/1/abc/artifacts/probe/probe.bin"
    refused = client.fetch_presigned("http://refused:9000/b/k?X-Amz-Signature=s", {}, 0)
    assert refused.error_kind == "refused"
    assert refused.url == "http://refused:9000/b/k"
    assert "Range" not in calls[-1][1]["headers"]
    # An error that quotes the URL quotes it without its credential.
    odd = client.fetch_presigned("http://odd:9000/b/k?X-Amz-Signature=s", {}, 1)
    assert odd.error == "cannot open http://odd:9000/b/k"
    assert MlflowClient(BASE, timeout=3, opener=opener).fetch_presigned(PRESIGNED["url"], {}, 1)
    assert calls[-1][1]["timeout"] == 3
