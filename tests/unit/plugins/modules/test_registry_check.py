"""Pure logic of plugins/modules/registry_check.py: option checks, paging, result shaping,
step order and the round trip's clean-up bookkeeping (with a scripted stand-in for the HTTP
client; everything that talks to a real server is in the integration target)."""

from __future__ import annotations

import inspect
import json

import pytest

from ansible_collections.mlops.mlflow.plugins.module_utils import _mlflow
from ansible_collections.mlops.mlflow.plugins.module_utils._mlflow import Reply
from ansible_collections.mlops.mlflow.plugins.modules import registry_check as rc

BASE = "http://127.0.0.1:15000"
PARAMS = dict(
    url=BASE,
    username=None,
    password=None,
    validate_certs=None,
    ca_path=None,
    timeout=30,
    expected_version=None,
    roundtrip=False,
    retries=1,
    delay=0,
    count_limit=10000,
)


def ok(body="", status=200, method="GET", url=BASE + "/x"):
    if not isinstance(body, str):
        body = json.dumps(body)
    return Reply(method, url, status=status, body=body.encode(), elapsed_ms=1.5)


def fail(status, body="", method="GET", url=BASE + "/x"):
    return Reply(method, url, status=status, body=body.encode(), elapsed_ms=2.0)


def refused(url=BASE + "/health"):
    return Reply("GET", url, error="[Errno 111] Connection refused", error_kind="refused", elapsed_ms=0.3)


# /api/3.0/mlflow/server-info of MLflow 3.17.2 (keys that matter here), and its presigned answer.
SERVER_INFO_STOCK = {"store_type": "SqlStore", "multipart_uploads_enabled": True, "multipart_downloads_enabled": True}
SERVER_INFO_PROXIED = {"store_type": "SqlStore", "multipart_uploads_enabled": False, "multipart_downloads_enabled": False}
MINIO_URL = "http://mlflow-minio:9000/mlflow/7/r1/artifacts/probe/probe.bin"
PRESIGNED = {"url": MINIO_URL + "?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=s1", "headers": {}, "file_size": 1024}
NOT_FOUND = '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No such artifact \'model\'"}'
# MLflow 3.17.2's own S3 repository for a missing object (upstream mlflow#24535).
HEAD_404 = (
    '{"error_code":"INTERNAL_ERROR","message":"The following failures occurred while downloading one or more artifacts from '
    's3://mlflow:\\n##### File 7/r1/artifacts/model #####\\nAn error occurred (404) when calling the HeadObject operation: '
    'Not Found","sqlstate":"XXM00","error_class":"CLIENT_INTERNAL_ERROR"}'
)


class ScriptedClient:
    """Answers each call from a script (a Reply, or a list consumed one per call)."""

    base_url = BASE
    timeout = 30

    def __init__(self, **script):
        self.script = dict(
            health=ok("OK"),
            version=ok("3.17.2"),
            host_probe=fail(404, "Not Found"),
            search_experiments=ok({"experiments": [{}]}),
            search_registered_models=ok({}),
            create_experiment=ok({"experiment_id": "7"}),
            create_run=ok({"run": {"info": {"run_id": "r1", "artifact_uri": "mlflow-artifacts:/7/r1/artifacts"}}}),
            upload_artifact=ok(),
            create_registered_model=ok({"registered_model": {"name": "n"}}),
            create_model_version=ok({"model_version": {"version": "1", "status": "READY"}}),
            server_info=ok(SERVER_INFO_PROXIED),
            download_artifact=None,  # echoes the upload unless scripted
            missing_artifact=fail(404, NOT_FOUND),  # download_artifact of <run>/artifacts/model
            presigned_download=ok(PRESIGNED),
            missing_presigned=fail(404, NOT_FOUND),  # presigned_download of <run>/artifacts/model
            fetch_presigned=None,  # echoes the upload unless scripted
            list_artifacts=ok({}),
            delete_model_version=ok({}),
            delete_registered_model=ok({}),
            delete_artifacts=ok({}),
            delete_run=ok({}),
            delete_experiment=ok({}),
        )
        self.script.update(script)
        self.calls = []
        self.uploaded = None

    def __getattr__(self, name):
        if name not in self.script:
            raise AttributeError(name)

        def call(*args):
            self.calls.append((name, args))
            if name == "upload_artifact":
                self.uploaded = args[1]
            missing = name in ("download_artifact", "presigned_download") and args[0].endswith("/model")
            answer = self.script[{"download_artifact": "missing_artifact", "presigned_download": "missing_presigned"}[name] if missing else name]
            if name in ("download_artifact", "fetch_presigned") and answer is None:
                return Reply("GET", BASE + "/x", status=200, body=self.uploaded, elapsed_ms=1.0)
            if isinstance(answer, list):
                return answer.pop(0) if len(answer) > 1 else answer[0]
            return answer

        return call

    def names(self):
        return [call[0] for call in self.calls]


def run(client, check_mode=False, **params):
    check = rc.RegistryCheck(client, "127.0.0.1:15000", dict(PARAMS, **params), check_mode, sleep=lambda s: None)
    return check.run()


def run_failing(client, **params):
    check = rc.RegistryCheck(client, "127.0.0.1:15000", dict(PARAMS, **params), False, sleep=lambda s: None)
    with pytest.raises(rc.CheckFailed) as info:
        check.run()
    return info.value, check.output()


# --------------------------------------------------------------------------- pure helpers


def test_probe_name_is_recognisable_and_unique():
    assert rc.probe_name("abc") == "mlops-registry-check-abc"
    names = {rc.probe_name() for dummy in range(50)}
    assert len(names) == 50
    assert all(n.startswith("mlops-registry-check-") and len(n) == len("mlops-registry-check-") + 12 for n in names)


@pytest.mark.parametrize(("limit", "counted", "size"), [(10000, 0, 1000), (10000, 9500, 500), (2500, 2000, 500), (1, 0, 1), (0, 0, 1), (5, 5, 1)])
def test_page_size(limit, counted, size):
    assert rc.page_size(limit, counted) == size


def test_count_page():
    assert rc.count_page({"experiments": [{}, {}], "next_page_token": "t"}, "experiments") == (2, "t")
    assert rc.count_page({}, "registered_models") == (0, None)
    assert rc.count_page({"registered_models": [{}], "next_page_token": ""}, "registered_models") == (1, None)


def test_retryable_health():
    assert rc.is_retryable_health(refused())
    assert rc.is_retryable_health(fail(503))
    assert rc.is_retryable_health(fail(502))
    assert not rc.is_retryable_health(fail(404))
    assert not rc.is_retryable_health(fail(500))


def test_version_problem_names_both_versions():
    assert rc.version_problem(None, "3.17.2") is None
    assert rc.version_problem("3.17", "3.17.2") is None
    assert rc.version_problem("3.16.1", "3.17.2") == "the server runs MLflow 3.17.2, but expected_version is 3.16.1"


def test_summarize_counts():
    assert rc.summarize_counts((3, True), (2, True), 10000) == dict(experiments_count=3, registered_models_count=2, counts_complete=True)
    assert rc.summarize_counts((10, False), (2, True), 10)["counts_complete"] is False
    assert rc.summarize_counts((1, False), (1, False), 0) == dict(experiments_count=None, registered_models_count=None, counts_complete=False)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"retries": 0}, "retries must be at least 1 (it is the number of tries of /health)"),
        ({"delay": -1}, "delay must not be negative"),
        ({"timeout": 0}, "timeout must be at least 1 second"),
        ({"count_limit": -5}, "count_limit must not be negative (0 turns counting off)"),
        ({"password": "pw"}, "password is set but username is not: set username (or MLFLOW_TRACKING_USERNAME) too"),
    ],
)
def test_input_problems(change, problem):
    problems = rc.input_problems(dict(PARAMS, **change))
    assert problems == [problem]
    assert "pw" not in problem


def test_input_problems_none_for_defaults():
    assert rc.input_problems(PARAMS) == []


# --------------------------------------------------------------------------- steps and result


def test_read_only_run_order_and_shape():
    client = ScriptedClient()
    result = run(client)
    assert client.names() == ["health", "version", "host_probe", "search_experiments", "search_registered_models", "server_info"]
    assert [c["name"] for c in result["checks"]] == ["health", "version", "host", "tracking", "registry", "server_info", "roundtrip"]
    assert [c["status"] for c in result["checks"]] == ["ok"] * 6 + ["skipped"]
    assert result["checks"][-1]["detail"] == "roundtrip is false"
    assert result["checks"][5]["detail"] == "nothing advertised: clients transfer artifacts through the server"
    assert result["server_info"] == {"served": True, "multipart_downloads_enabled": False, "multipart_uploads_enabled": False}
    assert set(result["latencies"]) == {"health", "version", "host", "tracking", "registry", "server_info"}
    assert result["version"] == "3.17.2"
    assert result["experiments_count"] == 1
    assert result["registered_models_count"] == 0
    assert result["counts_complete"] is True
    assert result["url"] == BASE
    assert result["host_header"] == "127.0.0.1:15000"
    assert result["health_attempts"] == 1
    assert "changed" not in result  # main() adds changed=False


def test_check_mode_skips_the_round_trip():
    client = ScriptedClient()
    result = run(client, check_mode=True, roundtrip=True)
    assert "create_experiment" not in client.names()
    assert result["checks"][-1] == {"name": "roundtrip", "status": "skipped", "detail": "check mode: the round trip writes a probe"}
    assert "roundtrip" not in result


def test_paging_stops_at_the_limit():
    page = ok({"experiments": [{}] * 1000, "next_page_token": "more"})
    client = ScriptedClient(search_experiments=page)
    result = run(client, count_limit=2500)
    sizes = [args[0] for name, args in client.calls if name == "search_experiments"]
    assert sizes == [1000, 1000, 500]
    assert result["experiments_count"] == 3000  # the stand-in ignores max_results; a server returns 500
    assert result["counts_complete"] is False
    assert result["checks"][3]["detail"].startswith("at least ")


def test_paging_follows_tokens_until_the_end():
    pages = [ok({"registered_models": [{}] * 1000, "next_page_token": "p2"}), ok({"registered_models": [{}] * 7})]
    client = ScriptedClient(search_registered_models=pages)
    result = run(client)
    tokens = [args[1] for name, args in client.calls if name == "search_registered_models"]
    assert tokens == [None, "p2"]
    assert result["registered_models_count"] == 1007
    assert result["counts_complete"] is True


def test_count_limit_zero_checks_apis_without_counting():
    client = ScriptedClient()
    result = run(client, count_limit=0)
    assert [args[0] for name, args in client.calls if name.startswith("search")] == [1, 1]
    assert result["experiments_count"] is None
    assert result["checks"][3]["detail"] == "API answers (counting off)"


def test_health_waits_then_succeeds():
    client = ScriptedClient(health=[refused(), fail(503), ok("OK")])
    result = run(client, retries=5)
    assert result["health_attempts"] == 3
    assert result["checks"][0]["status"] == "ok"


def test_health_gives_up_naming_the_url_and_tries():
    client = ScriptedClient(health=refused())
    exc, out = run_failing(client, retries=3)
    assert exc.step == "health"
    assert out["health_attempts"] == 3
    assert "nothing listens at %s/health" % BASE in str(exc)
    assert "(tried 3 times over" in str(exc)
    assert out["checks"] == [{"name": "health", "status": "failed", "detail": str(exc)}]


def test_health_does_not_retry_a_final_answer():
    client = ScriptedClient(health=fail(404, "Not Found"))
    exc, out = run_failing(client, retries=5)
    assert out["health_attempts"] == 1
    assert "no MLflow REST API" in str(exc)


def test_version_mismatch_fails_with_both_versions():
    exc, out = run_failing(ScriptedClient(), expected_version="3.16.1")
    assert exc.step == "version"
    assert "3.17.2" in str(exc)
    assert "3.16.1" in str(exc)
    assert out["version"] == "3.17.2"


def test_version_that_is_no_version():
    exc = run_failing(ScriptedClient(version=ok("<html>welcome</html>")))[0]
    assert "not an MLflow version" in str(exc)


def test_host_rejected_before_any_api_call():
    client = ScriptedClient(host_probe=fail(403, "Invalid Host header - possible DNS rebinding attack detected"))
    exc, out = run_failing(client)
    assert exc.step == "host"
    assert "host header '127.0.0.1:15000' rejected: add it to the server's --allowed-hosts" in str(exc)
    assert "search_experiments" not in client.names()
    assert [c["status"] for c in out["checks"]] == ["ok", "ok", "failed"]


def test_host_accepted_whatever_else_the_probe_gets():
    for answer in (fail(404, "Not Found"), fail(401, "You are not authenticated"), ok("{}")):
        result = run(ScriptedClient(host_probe=answer))
        assert result["checks"][2] == {"name": "host", "status": "ok", "detail": "Host '127.0.0.1:15000' accepted"}


def test_host_probe_without_answer_fails():
    exc = run_failing(ScriptedClient(host_probe=refused(BASE + "/api/2.0/mlflow/mlops-registry-check-host-probe")))[0]
    assert exc.step == "host"
    assert "nothing listens" in str(exc)


def test_tracking_not_json():
    exc = run_failing(ScriptedClient(search_experiments=ok("<html>hello</html>")))[0]
    assert exc.step == "tracking"
    assert "not MLflow's JSON" in str(exc)


def test_round_trip_success_and_cleanup_order():
    client = ScriptedClient()
    result = run(client, roundtrip=True)
    trip = result["roundtrip"]
    assert trip["name"].startswith("mlops-registry-check-")
    assert trip["experiment_id"] == "7"
    assert trip["run_id"] == "r1"
    assert trip["model_version"] == "1"
    assert trip["leftovers"] == []
    assert len(trip["artifact_sha256"]) == 64
    assert trip["removed"] == [
        "model version 1",
        "registered model '%s'" % trip["name"],
        "artifacts under 7/r1/artifacts",
        "run r1 (soft-deleted)",
        "experiment 7 (soft-deleted)",
    ]
    names = client.names()
    assert names[5:] == [
        "server_info",
        "create_experiment",
        "create_run",
        "upload_artifact",
        "create_registered_model",
        "create_model_version",
        "download_artifact",
        "download_artifact",
        "delete_model_version",
        "delete_registered_model",
        "delete_artifacts",
        "list_artifacts",
        "delete_run",
        "delete_experiment",
    ]
    upload = dict(client.calls)["upload_artifact"]
    assert upload[0] == "7/r1/artifacts/probe/probe.bin"
    version_args = dict(client.calls)["create_model_version"]
    assert version_args == (trip["name"], "mlflow-artifacts:/7/r1/artifacts/probe", "r1")
    assert [args[0] for name, args in client.calls if name == "download_artifact"] == ["7/r1/artifacts/probe/probe.bin", "7/r1/artifacts/model"]
    assert [c["name"] for c in result["checks"]][-7:] == [
        "roundtrip_create_experiment",
        "roundtrip_create_run",
        "roundtrip_upload",
        "roundtrip_register",
        "roundtrip_download",
        "roundtrip_missing_artifact",
        "roundtrip_cleanup",
    ]
    assert all(c["status"] == "ok" for c in result["checks"])
    assert trip["download_path"] == "proxied"
    assert trip["presigned_endpoint"] is None
    assert trip["missing_artifact_status"] == {"proxied": 404}
    assert result["checks"][-3]["detail"] == "1024 bytes through the server, SHA-256 matches"
    assert result["checks"][-2]["detail"] == "7/r1/artifacts/model answers 404 (proxied)"


def test_upload_refused_credentials_cleans_up_and_names_cause():
    listing = fail(
        401, '{"error_code": "UNAUTHENTICATED", "message": "Failed to list artifacts in s3://b: The Access Key Id you provided does not exist in our records."}'
    )
    client = ScriptedClient(upload_artifact=fail(500, "Internal Server Error", method="PUT"), list_artifacts=listing)
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_upload"
    assert "refused the MLflow server's S3 credentials" in str(exc)
    # Nothing was written, so no artifact delete; run and experiment are removed.
    assert "delete_artifacts" not in client.names()
    assert client.names()[-2:] == ["delete_run", "delete_experiment"]
    assert out["roundtrip"]["removed"] == ["run r1 (soft-deleted)", "experiment 7 (soft-deleted)"]
    assert out["checks"][-1]["name"] == "roundtrip_upload"
    assert out["checks"][-1]["status"] == "failed"


def test_download_mismatch():
    client = ScriptedClient(download_artifact=ok("not the probe"))
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_download"
    assert "SHA-256" in str(exc)
    assert out["roundtrip"]["leftovers"] == []
    assert "delete_registered_model" in client.names()


def test_server_that_does_not_proxy_artifacts():
    run_reply = ok({"run": {"info": {"run_id": "r1", "artifact_uri": "s3://bucket/7/r1/artifacts"}}})
    client = ScriptedClient(create_run=run_reply)
    exc = run_failing(client, roundtrip=True)[0]
    assert exc.step == "roundtrip_create_run"
    assert "--serve-artifacts" in str(exc)
    assert "upload_artifact" not in client.names()
    assert client.names()[-2:] == ["delete_run", "delete_experiment"]


def test_cleanup_failure_after_success_fails_the_check():
    client = ScriptedClient(delete_registered_model=fail(500, "boom", method="DELETE"))
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_cleanup"
    assert "could not delete registered model" in str(exc)
    assert len(out["roundtrip"]["leftovers"]) == 1


def test_cleanup_leftovers_are_added_to_an_earlier_failure():
    client = ScriptedClient(
        download_artifact=fail(500, "Internal Server Error"),
        list_artifacts=fail(500, "Internal Server Error"),
        delete_artifacts=fail(500, "Internal Server Error", method="DELETE"),
    )
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_download"
    assert "clean-up left behind: artifacts under 7/r1/artifacts" in str(exc)
    assert out["latencies"]["roundtrip_cleanup"] >= 0


def test_already_gone_counts_as_removed():
    gone = fail(404, '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "not found"}', method="DELETE")
    client = ScriptedClient(delete_model_version=gone)
    result = run(client, roundtrip=True)
    assert result["roundtrip"]["leftovers"] == []


def test_pending_model_version_is_polled_until_ready():
    client = ScriptedClient(
        create_model_version=ok({"model_version": {"version": "1", "status": "PENDING_REGISTRATION"}}),
        get_model_version=[ok({"model_version": {"status": "PENDING_REGISTRATION"}}), ok({"model_version": {"status": "READY"}})],
    )
    result = run(client, roundtrip=True)
    assert client.names().count("get_model_version") == 2
    assert result["checks"][-4]["name"] == "roundtrip_register"


def test_failed_model_version():
    client = ScriptedClient(create_model_version=ok({"model_version": {"version": "1", "status": "FAILED_REGISTRATION"}}))
    exc = run_failing(client, roundtrip=True)[0]
    assert exc.step == "roundtrip_register"
    assert "FAILED_REGISTRATION, not READY" in str(exc)


def test_versioned_bucket_empty_directory_is_not_a_leftover():
    # MinIO on a versioned bucket keeps listing the prefix of deleted objects (delete markers)
    # as a directory holding nothing: that is clean.
    listings = [ok({"files": [{"path": "probe", "is_dir": True}]}), ok({})]
    client = ScriptedClient(list_artifacts=listings)
    result = run(client, roundtrip=True)
    assert result["roundtrip"]["leftovers"] == []
    paths = [args[0] for name, args in client.calls if name == "list_artifacts"]
    assert paths == ["7/r1/artifacts", "7/r1/artifacts/probe"]


def test_file_still_listed_after_delete_is_a_leftover():
    listings = [ok({"files": [{"path": "probe", "is_dir": True}]}), ok({"files": [{"path": "probe.bin", "is_dir": False, "file_size": 64}]})]
    client = ScriptedClient(list_artifacts=listings)
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_cleanup"
    assert out["roundtrip"]["leftovers"] == ["artifacts under 7/r1/artifacts (still listed: probe.bin)"]


# --------------------------------------------------------------------------- server-info and artifact paths


def test_describe_advertised():
    nothing = {"served": True, "multipart_downloads_enabled": False, "multipart_uploads_enabled": False}
    assert rc.describe_advertised(nothing) == "nothing advertised: clients transfer artifacts through the server"
    assert rc.describe_advertised(dict(nothing, multipart_downloads_enabled=True, multipart_uploads_enabled=True)) == (
        "presigned downloads and uploads advertised: clients transfer artifacts from S3 directly"
    )
    assert rc.describe_advertised(dict(nothing, multipart_uploads_enabled=True)).startswith("presigned uploads advertised")
    assert rc.describe_advertised(dict(nothing, served=False)).startswith("/api/3.0/mlflow/server-info not served (MLflow before 3.x): nothing advertised")


def test_server_without_server_info_advertises_nothing():
    client = ScriptedClient(server_info=fail(404, "Not Found"))
    result = run(client, roundtrip=True)
    assert result["server_info"] == {"served": False, "multipart_downloads_enabled": False, "multipart_uploads_enabled": False}
    assert result["roundtrip"]["download_path"] == "proxied"
    assert "presigned_download" not in client.names()


@pytest.mark.parametrize(("answer", "words"), [(fail(500, "boom"), "HTTP 500"), (ok("<html>proxy</html>"), "not MLflow's JSON")])
def test_server_info_error_fails_its_step(answer, words):
    exc, out = run_failing(ScriptedClient(server_info=answer))
    assert exc.step == "server_info"
    assert words in str(exc)
    assert [c["name"] for c in out["checks"]][-1] == "server_info"


def test_check_mode_reads_server_info():
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK))
    result = run(client, check_mode=True, roundtrip=True)
    assert result["server_info"]["multipart_downloads_enabled"] is True
    assert result["checks"][5]["detail"] == "presigned downloads and uploads advertised: clients transfer artifacts from S3 directly"
    assert "presigned_download" not in client.names()


def test_advertised_presigned_download_goes_through_the_url():
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK))
    result = run(client, roundtrip=True)
    trip = result["roundtrip"]
    calls = [(name, args) for name, args in client.calls if name in ("presigned_download", "fetch_presigned", "download_artifact")]
    assert calls == [
        ("presigned_download", ("7/r1/artifacts/probe/probe.bin",)),
        ("fetch_presigned", (PRESIGNED["url"], {}, 1024)),
        # The missing artifact: through the server and presigned, both 404.
        ("download_artifact", ("7/r1/artifacts/model",)),
        ("presigned_download", ("7/r1/artifacts/model",)),
    ]
    assert trip["download_path"] == "presigned"
    assert trip["presigned_endpoint"] == "http://mlflow-minio:9000"
    assert trip["missing_artifact_status"] == {"proxied": 404, "presigned": 404}
    details = {c["name"]: c["detail"] for c in result["checks"]}
    assert details["roundtrip_download"] == "1024 bytes through a presigned URL for http://mlflow-minio:9000, SHA-256 matches"
    assert details["roundtrip_missing_artifact"] == "7/r1/artifacts/model answers 404 (proxied and presigned)"


def test_presigned_answer_without_size_downloads_through_the_server():
    # MLflow's client falls back to the server when the presigned answer has no file_size.
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK), presigned_download=ok({"url": PRESIGNED["url"], "headers": {}}))
    result = run(client, roundtrip=True)
    assert "fetch_presigned" not in client.names()
    assert result["roundtrip"]["download_path"] == "proxied"


def unreachable(kind, error):
    return Reply("GET", MINIO_URL, error=error, error_kind=kind, elapsed_ms=5.0)


def test_presigned_url_this_host_cannot_resolve_fails_naming_endpoint_and_fix():
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK), fetch_presigned=unreachable("dns", "[Errno -2] Name or service not known"))
    exc, out = run_failing(client, roundtrip=True)
    message = str(exc)
    assert exc.step == "roundtrip_download"
    assert message.startswith(
        "registry_check step 'roundtrip_download' failed: the server advertises presigned downloads (multipart_downloads_enabled "
        "in /api/3.0/mlflow/server-info) signed for http://mlflow-minio:9000, which this host cannot reach (GET %s: "
        "[Errno -2] Name or service not known), so clients outside the server's network cannot download artifacts; "
        "set tracking_server_s3_presigned_endpoint_url to an S3 URL clients reach, or leave it empty so the server "
        "proxies every artifact (the collection's server image)" % MINIO_URL
    )
    assert "MLFLOW_S3_ENDPOINT_URL" in message
    assert "give the server the image's S3 plugin (mlops-mlflow-artifacts)" in message
    # The presigned URL's query is a credential: neither in the message nor in the result.
    assert "X-Amz" not in json.dumps(out)
    assert out["roundtrip"]["download_path"] == "presigned"
    assert out["roundtrip"]["leftovers"] == []
    assert "delete_experiment" in client.names()
    assert "roundtrip_missing_artifact" not in [c["name"] for c in out["checks"]]


def test_presigned_url_timeout_says_how_long():
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK), fetch_presigned=unreachable("timeout", "timed out"))
    assert "(GET %s: timed out within 10 s)" % MINIO_URL in str(run_failing(client, roundtrip=True)[0])


def test_presigned_fetch_causes():
    endpoint = "https://s3.example.com"
    tls = rc.presigned_fetch_cause(endpoint, unreachable("tls", "certificate verify failed"), 10)
    assert "this host does not accept its TLS certificate" in tls
    assert "ca_path" in tls
    refused = rc.presigned_fetch_cause(endpoint, unreachable("refused", "[Errno 111] Connection refused"), 10)
    assert "which this host cannot reach (GET %s: [Errno 111] Connection refused)" % MINIO_URL in refused
    denied = Reply("GET", MINIO_URL, status=403, reason="Forbidden", body=b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
    cause = rc.presigned_fetch_cause(endpoint, denied, 10)
    assert "but GET %s answered HTTP 403 Forbidden: SignatureDoesNotMatch" % MINIO_URL in cause
    assert "not the S3 service the server writes to" in cause


def test_presigned_url_answered_with_an_error():
    denied = Reply("GET", MINIO_URL, status=403, reason="Forbidden", body=b"<Error><Code>AccessDenied</Code></Error>", elapsed_ms=1.0)
    exc = run_failing(ScriptedClient(server_info=ok(SERVER_INFO_STOCK), fetch_presigned=denied), roundtrip=True)[0]
    assert exc.step == "roundtrip_download"
    assert "answered HTTP 403 Forbidden: AccessDenied" in str(exc)


def test_presigned_download_bytes_are_compared():
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK), fetch_presigned=ok("something else"))
    exc = run_failing(client, roundtrip=True)[0]
    assert exc.step == "roundtrip_download"
    assert "through a presigned URL for http://mlflow-minio:9000 with SHA-256" in str(exc)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (fail(501, '{"error_code": "NOT_IMPLEMENTED", "message": "presigned download not supported"}'), "hands out no presigned URL"),
        (ok({"headers": {}}), "answered a presigned download without a usable URL: no http(s) URL in it"),
        (fail(500, HEAD_404), "HTTP 500"),
    ],
)
def test_advertised_but_no_presigned_url(answer, words):
    exc, out = run_failing(ScriptedClient(server_info=ok(SERVER_INFO_STOCK), presigned_download=answer), roundtrip=True)
    assert exc.step == "roundtrip_download"
    assert words in str(exc)
    assert out["roundtrip"]["leftovers"] == []


def test_missing_artifact_500_fails_at_once_naming_upstream_issue():
    client = ScriptedClient(missing_artifact=fail(500, HEAD_404))
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_missing_artifact"
    message = str(exc)
    assert message.startswith(
        "registry_check step 'roundtrip_missing_artifact' failed: GET %s/x: HTTP 500: INTERNAL_ERROR: The following failures occurred "
        "while downloading one or more artifacts from s3://mlflow: ##### File 7/r1/artifacts/model ##### An error occurred (404) "
        "when calling the HeadObject operation: Not Found; likely cause: " % BASE
    )
    assert "likely cause: the server answers a missing artifact with 500 instead of 404 (upstream mlflow#24535)" in message
    assert "MLflow clients that download through the server retry a 500 for minutes" in message
    assert "the collection's server image (role tracking_server) answers 404" in message
    # Asked once: no retry turns the 500 into minutes.
    assert [args[0] for name, args in client.calls if name == "download_artifact"].count("7/r1/artifacts/model") == 1
    assert out["roundtrip"]["missing_artifact_status"] == {"proxied": 500}
    assert out["roundtrip"]["leftovers"] == []
    assert client.names()[-1] == "delete_experiment"


def test_missing_artifact_checked_on_the_presigned_path_too():
    client = ScriptedClient(server_info=ok(SERVER_INFO_STOCK), missing_presigned=fail(500, HEAD_404))
    exc, out = run_failing(client, roundtrip=True)
    assert exc.step == "roundtrip_missing_artifact"
    assert "mlflow#24535" in str(exc)
    assert out["roundtrip"]["missing_artifact_status"] == {"proxied": 404, "presigned": 500}


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (ok("surprise"), "the server answered with an artifact that does not exist"),
        (fail(500, '{"error_code": "INTERNAL_ERROR", "message": "NoSuchBucket: The specified bucket does not exist"}'), "bucket does not exist"),
        (fail(401, "You are not authenticated."), "set username and password"),
        (refused(BASE + "/x"), "nothing listens"),
    ],
)
def test_missing_artifact_other_answers(answer, words):
    exc = run_failing(ScriptedClient(missing_artifact=answer), roundtrip=True)[0]
    assert exc.step == "roundtrip_missing_artifact"
    assert words in str(exc)


def test_missing_artifact_cause():
    assert rc.missing_artifact_cause(fail(500, HEAD_404)) == rc.MISSING_ARTIFACT_FIX
    assert rc.missing_artifact_cause(fail(502, "Bad Gateway")) == rc.MISSING_ARTIFACT_FIX
    assert rc.missing_artifact_cause(fail(403, "Forbidden")) is None
    assert rc.missing_artifact_cause(refused()) is None


def test_step_needs_name_real_steps():
    steps = {"health", "version", "host", "tracking", "registry", "server_info"} | {
        "roundtrip_" + s for s in ("create_experiment", "create_run", "upload", "register", "download", "missing_artifact", "cleanup")
    }
    assert set(rc.STEP_NEEDS) <= steps
    # Every step that can fail on an HTTP answer says what it depends on.
    assert steps - set(rc.STEP_NEEDS) == {"host", "server_info"}


def test_module_utils_name_no_step_or_role_variable():
    # STYLE.md: module_utils stay generic; steps and role variables live in the module.
    source = inspect.getsource(_mlflow)
    assert "tracking_server_" not in source
    assert "roundtrip_" not in source
    assert "registry_check step" not in source
