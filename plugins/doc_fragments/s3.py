# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by the modules that talk to an S3 endpoint (AWS S3 or MinIO).
    DOCUMENTATION = r"""
attributes:
  action_group:
    support: full
    membership:
      - mlops.mlflow.s3
    description: Use C(group/mlops.mlflow.s3) in C(module_defaults) to set defaults for this module.
options:
  endpoint_url:
    description:
      - URL of the S3 endpoint, for example V(http://minio.example.com:9000) for MinIO.
      - Leave unset to talk to AWS S3 in O(region). A custom endpoint is addressed path-style
        (V(http://host:9000/bucket)), which MinIO and most S3-compatible stores require.
      - If not set, the environment variables E(AWS_ENDPOINT_URL_S3), E(AWS_ENDPOINT_URL) and
        E(MLFLOW_S3_ENDPOINT_URL) are tried in this order.
    type: str
  access_key:
    description:
      - Access key ID (the MinIO user name or root user).
      - If not set, E(AWS_ACCESS_KEY_ID) is used; if that is unset too, boto3's own credential chain
        (shared credentials file, instance profile) applies.
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - Secret access key belonging to O(access_key). Never logged.
      - If not set, E(AWS_SECRET_ACCESS_KEY) is used.
    type: str
    aliases: [aws_secret_access_key]
  region:
    description:
      - Region to sign requests for and to create buckets in.
      - MinIO accepts V(us-east-1) unless its server region was changed.
      - If not set, E(AWS_REGION) and then E(AWS_DEFAULT_REGION) are used, else V(us-east-1).
    type: str
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. Set to V(false) only for a test endpoint with a
        self-signed certificate; prefer O(ca_bundle).
    type: bool
    default: true
  ca_bundle:
    description:
      - Path to a PEM file with the CA certificates to trust for an HTTPS endpoint, for a MinIO
        behind a private CA.
      - If not set, E(AWS_CA_BUNDLE) is used, else the system's trust store.
    type: path
requirements:
  - boto3 >= 1.28.0 (with botocore) on the host that runs the module
"""
