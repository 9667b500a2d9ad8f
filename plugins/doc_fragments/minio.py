# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of the modules that talk to MinIO's admin API (users, policies).
    DOCUMENTATION = r"""
attributes:
  action_group:
    support: full
    membership:
      - mlops.mlflow.minio
    description: Use C(group/mlops.mlflow.minio) in C(module_defaults) to set the connection options once.
options:
  endpoint_url:
    description:
      - URL of the MinIO server's S3 API, for example V(http://minio.example.com:9000); its
        admin API is served on the same port. Only the scheme, host and port count; a path is
        refused.
      - No environment variable is read, on purpose. MinIO's own admin client C(mc) takes its
        servers and credentials from C(MC_HOST_<alias>) URLs, not from variables of their own,
        and the AWS variables usually carry the credentials of a plain S3 user, not an admin.
    type: str
    required: true
  login_access_key:
    description:
      - Access key of the account the module logs in as, MinIO's root user
        (C(MINIO_ROOT_USER) of the server), or a user whose policy allows the admin actions on
        users and policies that the module uses (C(admin:GetUser), C(admin:CreateUser),
        C(admin:EnableUser), C(admin:DisableUser), C(admin:DeleteUser), C(admin:GetPolicy),
        C(admin:CreatePolicy), C(admin:DeletePolicy), C(admin:AttachUserOrGroupPolicy),
        C(admin:UpdatePolicyAssociation); removing a policy also reads who uses it, with
        C(admin:ListUsers), C(admin:ListGroups) and C(admin:ListUserPolicies)).
    type: str
    required: true
  login_secret_key:
    description:
      - Secret key of O(login_access_key) (C(MINIO_ROOT_PASSWORD) for the root user). Never
        logged. MinIO also uses it to encrypt the admin requests that carry secrets, such as a
        new user's secret key.
    type: str
    required: true
  region:
    description:
      - Region to sign requests for. Only a MinIO server started with a region of its own
        (C(MINIO_SITE_REGION)) checks it; the default suits every other one.
    type: str
    default: us-east-1
  validate_certs:
    description:
      - Verify the server's TLS certificate. Set to V(false) only for a test server with a
        self-signed certificate; prefer O(ca_bundle).
    type: bool
    default: true
  ca_bundle:
    description:
      - Path to a PEM file with the CA certificates to trust for an HTTPS O(endpoint_url), for a
        MinIO behind a private CA. If not set, the system's trust store.
    type: path
requirements:
  - minio (the MinIO Python SDK, tested with 7.2.20) on the host that runs the module
"""
