"""The tracking server's S3 artifact repository (roles/tracking_server/files/mlflow-artifacts-plugin).

Pure logic only: which repository the entry point returns, which capabilities the server then
advertises, how S3 errors map to MLflow's, and for which endpoint URLs are signed (signing
needs no connection). The real server with the plugin installed is exercised by the
registry_check integration target and every molecule verify.
"""

import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repo import (
    MultipartDownloadMixin,
    MultipartUploadMixin,
    PresignedUploadMixin,
)
from mlflow.store.artifact.s3_artifact_repo import S3ArtifactRepository as MlflowS3ArtifactRepository

PLUGIN_DIR = Path(__file__).resolve().parents[3] / "roles/tracking_server/files/mlflow-artifacts-plugin"
sys.path.insert(0, str(PLUGIN_DIR))
plugin = import_module("mlops_mlflow_artifacts")

URI = "s3://mlflow/1/0123abcd/artifacts"
CAPABILITIES = (MultipartDownloadMixin, MultipartUploadMixin, PresignedUploadMixin)


@pytest.fixture(autouse=True)
def s3_environment(monkeypatch):
    monkeypatch.delenv(plugin.PRESIGNED_ENDPOINT_ENV, raising=False)
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", "http://mlflow-minio:9000")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unit-access")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unit-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_entry_point_names_the_factory_for_s3():
    project = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())
    entry = project["project"]["entry-points"]["mlflow.artifact_repository"]
    assert entry == {"s3": "mlops_mlflow_artifacts:s3_artifact_repository"}
    module, attribute = entry["s3"].split(":", 1)
    assert getattr(import_module(module), attribute) is plugin.s3_artifact_repository


def test_without_presigned_endpoint_nothing_is_advertised():
    repo = plugin.s3_artifact_repository(URI, tracking_uri=None, registry_uri=None)
    assert isinstance(repo, plugin.ProxiedS3ArtifactRepository)
    # mlflow/server/handlers.py build_server_info_payload decides by these isinstance checks.
    assert not any(isinstance(repo, mixin) for mixin in CAPABILITIES)
    assert not isinstance(repo, MlflowS3ArtifactRepository)


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_presigned_endpoint_is_unset(monkeypatch, value):
    monkeypatch.setenv(plugin.PRESIGNED_ENDPOINT_ENV, value)
    assert isinstance(plugin.s3_artifact_repository(URI), plugin.ProxiedS3ArtifactRepository)


def test_with_presigned_endpoint_every_transfer_is_advertised(monkeypatch):
    monkeypatch.setenv(plugin.PRESIGNED_ENDPOINT_ENV, "http://s3.example.test:9000")
    repo = plugin.s3_artifact_repository(URI, tracking_uri=None, registry_uri=None)
    assert isinstance(repo, plugin.PresignedS3ArtifactRepository)
    assert all(isinstance(repo, mixin) for mixin in CAPABILITIES)
    assert repo.presigned_endpoint_url == "http://s3.example.test:9000"


def test_proxied_repository_hands_every_s3_operation_to_mlflows(monkeypatch):
    calls = []
    for name in ("log_artifact", "log_artifacts", "list_artifacts", "_download_file", "delete_artifacts", "upload_archived_trace_data_bytes"):
        monkeypatch.setattr(plugin.S3ArtifactRepository, name, lambda self, *args, _name=name: calls.append((_name, args)) or [])
    repo = plugin.s3_artifact_repository(URI)
    repo.log_artifact("/tmp/a.txt", "dir")
    repo.log_artifacts("/tmp/dir", None)
    assert repo.list_artifacts("dir") == []
    repo._download_file("dir/a.txt", "/tmp/out/a.txt")
    repo.delete_artifacts("dir")
    repo.upload_archived_trace_data_bytes(b"trace")
    assert calls == [
        ("log_artifact", ("/tmp/a.txt", "dir")),
        ("log_artifacts", ("/tmp/dir", None)),
        ("list_artifacts", ("dir",)),
        ("_download_file", ("dir/a.txt", "/tmp/out/a.txt")),
        ("delete_artifacts", ("dir",)),
        ("upload_archived_trace_data_bytes", (b"trace",)),
    ]


def _client_error(code, status, operation="HeadObject"):
    return ClientError({"Error": {"Code": code, "Message": "Not Found"}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize(
    ("code", "status", "expected", "wording"),
    [
        # download_file's HEAD carries no body: botocore reports the bare status.
        ("404", 404, "RESOURCE_DOES_NOT_EXIST", "No such artifact"),
        ("NoSuchKey", 404, "RESOURCE_DOES_NOT_EXIST", "No such artifact"),
        ("403", 403, "PERMISSION_DENIED", "Cannot download artifact"),
        ("InvalidAccessKeyId", 403, "UNAUTHENTICATED", "Cannot download artifact"),
        ("SlowDown", 503, "INTERNAL_ERROR", "Cannot download artifact"),
    ],
)
def test_download_errors_map_to_mlflow_codes(monkeypatch, code, status, expected, wording):
    def fail(self, remote_file_path, local_path):
        raise _client_error(code, status)

    monkeypatch.setattr(MlflowS3ArtifactRepository, "_download_file", fail)
    for repo in (plugin.s3_artifact_repository(URI), plugin.S3ArtifactRepository(URI)):
        with pytest.raises(MlflowException) as caught:
            repo._download_file("model/MLmodel", "/tmp/MLmodel")
        assert caught.value.error_code == expected
        assert str(caught.value).startswith(f"{wording} 'model/MLmodel' (s3://mlflow/1/0123abcd/artifacts/model/MLmodel)")


def test_missing_object_answers_404():
    error = MlflowException("x", error_code=plugin.RESOURCE_DOES_NOT_EXIST)
    assert error.get_http_status_code() == 404
    assert plugin.mlflow_error_code(_client_error("404", 404)) == plugin.RESOURCE_DOES_NOT_EXIST


def test_presigned_urls_are_signed_for_the_clients_endpoint(monkeypatch):
    monkeypatch.setenv(plugin.PRESIGNED_ENDPOINT_ENV, "http://s3.example.test:9000")
    client = plugin.s3_artifact_repository(URI)._get_s3_client()
    url = client.generate_presigned_url("get_object", Params={"Bucket": "mlflow", "Key": "1/0123abcd/artifacts/model/MLmodel"}, ExpiresIn=60)
    assert url.startswith("http://s3.example.test:9000/mlflow/1/0123abcd/artifacts/model/MLmodel?")
    assert "X-Amz-Signature=" in url
    assert "X-Amz-SignedHeaders=host" in url
    # Everything else goes to S3 where the server reaches it.
    assert client.meta.endpoint_url == "http://mlflow-minio:9000"
