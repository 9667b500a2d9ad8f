# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by the modules that talk to an MLflow tracking server.
    DOCUMENTATION = r"""
attributes:
  action_group:
    support: full
    membership:
      - mlops.mlflow.mlflow
    description: Use C(group/mlops.mlflow.mlflow) in C(module_defaults) to set defaults for this module.
options:
  url:
    description:
      - URL of the MLflow tracking server, as its clients use it, for example
        V(http://mlflow.example.com:5000). A path prefix (a server started with C(--static-prefix)
        or published under a path by a reverse proxy) is kept.
      - The host and port in it are sent as the C(Host) header, so the check proves the server
        accepts the name its clients reach it by.
      - Must not contain credentials; use O(username) and O(password).
      - If not set, E(MLFLOW_TRACKING_URI) is used. One of them is required.
    type: str
  username:
    description:
      - User name for HTTP basic authentication, for a server started with
        C(--app-name basic-auth) or behind an authenticating proxy.
      - If not set, E(MLFLOW_TRACKING_USERNAME) is used. Without either, no credentials are sent.
    type: str
  password:
    description:
      - Password for HTTP basic authentication. Never logged.
      - If not set, E(MLFLOW_TRACKING_PASSWORD) is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate for an V(https://) O(url). Set to V(false) only for a
        test server with a self-signed certificate; prefer O(ca_path).
      - If not set, certificates are verified unless E(MLFLOW_TRACKING_INSECURE_TLS) is V(true).
    type: bool
  ca_path:
    description:
      - PEM file with the CA certificates to trust for an V(https://) O(url), for a server behind
        a private CA.
      - If not set, E(MLFLOW_TRACKING_SERVER_CERT_PATH) is used, else the system's trust store.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer. A backend store that is down can make MLflow hang on
        API calls; the timeout turns that into a failure that names the database.
    type: int
    default: 30
"""
