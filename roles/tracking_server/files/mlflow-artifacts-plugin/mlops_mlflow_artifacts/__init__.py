"""S3 artifact repository of the mlops.mlflow tracking server image.

MLflow loads it for ``s3://`` URIs through the ``mlflow.artifact_repository`` entry point
(registered after MLflow's own schemes, so it takes ``s3``). The server's proxied artifact
endpoints then use it; MLflow's installed files stay as they are. Two changes over MLflow's
own ``S3ArtifactRepository``:

1. A missing object is ``RESOURCE_DOES_NOT_EXIST`` (HTTP 404), not an unmapped botocore
   ``ClientError`` (HTTP 500). Clients retry a 500 with backoff for minutes, and loading
   ``runs:/RUN_ID/MODEL`` first asks for a run artifact that a logged model of MLflow 3 is not.
   Upstream: https://github.com/mlflow/mlflow/issues/24535; drop this part once MLflow maps
   the error itself.
2. Presigned transfers are offered only when clients can use them. A server advertises
   presigned (multipart) downloads and uploads in ``/api/3.0/mlflow/server-info`` whenever
   its repository has the mixins for them, and clients then fetch from the S3 endpoint the
   URLs are signed for, which is the server's own (often a name only the server's network
   resolves). Without ``MLOPS_MLFLOW_S3_PRESIGNED_ENDPOINT_URL`` the repository has no such
   mixins: the server advertises nothing and clients transfer through the server. With it,
   URLs are signed for that endpoint (the one clients reach, for example a load balancer's
   S3 frontend) while the server keeps talking to S3 at ``MLFLOW_S3_ENDPOINT_URL``. Signing
   needs no connection, so the server need not reach the clients' endpoint itself.
"""

import os
import posixpath

from botocore.exceptions import ClientError
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, RESOURCE_DOES_NOT_EXIST
from mlflow.store.artifact import s3_artifact_repo
from mlflow.store.artifact.artifact_repo import ArtifactRepository

PRESIGNED_ENDPOINT_ENV = "MLOPS_MLFLOW_S3_PRESIGNED_ENDPOINT_URL"


def mlflow_error_code(error):
    """The MLflow error code for a botocore ClientError (a HEAD answers a bare '404')."""
    code = error.response.get("Error", {}).get("Code", "")
    return s3_artifact_repo.BOTO_TO_MLFLOW_ERROR.get(code, INTERNAL_ERROR)


class S3ArtifactRepository(s3_artifact_repo.S3ArtifactRepository):
    """MLflow's S3 repository whose downloads map S3 errors to MLflow error codes."""

    def _download_file(self, remote_file_path, local_path):
        try:
            super()._download_file(remote_file_path, local_path)
        except ClientError as error:
            bucket, root = self.parse_s3_compliant_uri(self.artifact_uri)
            key = posixpath.join(root, remote_file_path)
            code = mlflow_error_code(error)
            what = "No such artifact" if code == RESOURCE_DOES_NOT_EXIST else "Cannot download artifact"
            raise MlflowException(f"{what} {remote_file_path!r} (s3://{bucket}/{key}): {error}", error_code=code) from error


class _PresigningClient:
    """An S3 client that talks to S3 through one endpoint and signs URLs for another."""

    def __init__(self, client, signer):
        self._client = client
        self._signer = signer

    def generate_presigned_url(self, *args, **kwargs):
        return self._signer.generate_presigned_url(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


class PresignedS3ArtifactRepository(S3ArtifactRepository):
    """Presigned downloads and uploads, signed for the endpoint clients reach."""

    def __init__(self, artifact_uri, *args, presigned_endpoint_url, **kwargs):
        super().__init__(artifact_uri, *args, **kwargs)
        self.presigned_endpoint_url = presigned_endpoint_url

    def _get_s3_client(self):
        credentials = {
            "access_key_id": self._access_key_id,
            "secret_access_key": self._secret_access_key,
            "session_token": self._session_token,
        }
        # MLflow's own cached client factory, for both: same signature version, addressing
        # style and credentials; only the endpoint differs.
        client = s3_artifact_repo._get_s3_client(**credentials)
        signer = s3_artifact_repo._get_s3_client(s3_endpoint_url=self.presigned_endpoint_url, **credentials)
        return _PresigningClient(client, signer)


class ProxiedS3ArtifactRepository(ArtifactRepository):
    """S3 behind the server only: no presigned or multipart mixins, so none is advertised.

    Every operation MLflow's S3 repository implements is handed to it; the rest (download
    of directories, trace helpers) is ArtifactRepository's, built on those.
    """

    def __init__(self, artifact_uri, *args, **kwargs):
        super().__init__(artifact_uri, kwargs.get("tracking_uri"), kwargs.get("registry_uri"))
        self._s3 = S3ArtifactRepository(artifact_uri, *args, **kwargs)

    def log_artifact(self, local_file, artifact_path=None):
        self._s3.log_artifact(local_file, artifact_path)

    def log_artifacts(self, local_dir, artifact_path=None):
        self._s3.log_artifacts(local_dir, artifact_path)

    def list_artifacts(self, path=None):
        return self._s3.list_artifacts(path)

    def _download_file(self, remote_file_path, local_path):
        self._s3._download_file(remote_file_path, local_path)

    def delete_artifacts(self, artifact_path=None):
        self._s3.delete_artifacts(artifact_path)

    def upload_archived_trace_data_bytes(self, data):
        self._s3.upload_archived_trace_data_bytes(data)


def s3_artifact_repository(artifact_uri, *args, **kwargs):
    """The entry point: the repository for an s3:// URI, presigned or proxied by the environment."""
    endpoint = os.environ.get(PRESIGNED_ENDPOINT_ENV, "").strip()
    if endpoint:
        return PresignedS3ArtifactRepository(artifact_uri, *args, presigned_endpoint_url=endpoint, **kwargs)
    return ProxiedS3ArtifactRepository(artifact_uri, *args, **kwargs)
