#!/usr/bin/env bash
# Deploy the lab: this machine (inventory/lab) becomes an MLflow model registry with
# PostgreSQL and MinIO, all in Docker. Run as root on Debian 12/13 (or Ubuntu LTS).
#
#   scripts/deploy-lab.sh                 bootstrap, then ansible-playbook playbooks/site.yml -i inventory/lab
#   scripts/deploy-lab.sh --check --diff  extra arguments go to ansible-playbook
#
# 1. scripts/bootstrap.sh: .venv with the pinned ansible-core, boto3 and psycopg2, and the
#    collection visible as mlops.mlflow.
# 2. Images: where Docker Hub answers, the roles pull their pinned images and build the two
#    nobody publishes on this machine (MinIO from source, the MLflow server), with the Debian
#    mirror and the Go module proxy and PyPI. Where it does not (air-gapped machines, this
#    project's CI machines), scripts/build-images.sh builds the same images without a
#    registry, MinIO and the MLflow server from the roles' own Dockerfile templates, and saves
#    them as archives, and the playbook
#    loads them from there (MLOPS_LAB_ARCHIVES, see inventory/lab/group_vars/all.yml).
#    Set MLOPS_LAB_ARCHIVES yourself to use archives you already have; MLOPS_LAB_OFFLINE=1
#    takes the archive path without asking the registry.
# 3. ansible-playbook playbooks/site.yml -i inventory/lab: secrets are generated on the first
#    run into inventory/lab/.secrets/ (git-ignored); the play ends with the URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

[ "$(id -u)" -eq 0 ] || { echo "deploy-lab.sh: run as root (it installs Docker Engine on this machine)" >&2; exit 1; }

scripts/bootstrap.sh controller

registry_answers() {
  # Docker Hub's API answers 401 (authentication needed) when it is reachable at all. Asked
  # with the venv's Python: a fresh Debian has no curl.
  .venv/bin/python - << 'EOF'
import sys, urllib.error, urllib.request
try:
    code = urllib.request.urlopen("https://registry-1.docker.io/v2/", timeout=10).status
except urllib.error.HTTPError as error:
    code = error.code
except Exception:
    sys.exit(1)
sys.exit(0 if code in (200, 401) else 1)
EOF
}

if [ -z "${MLOPS_LAB_ARCHIVES:-}" ]; then
  if [ "${MLOPS_LAB_OFFLINE:-0}" = 1 ] || ! registry_answers; then
    echo "deploy-lab.sh: no container registry answers; building the images here (scripts/build-images.sh)"
    MLOPS_LAB_PULL=0 scripts/build-images.sh
    export MLOPS_LAB_ARCHIVES=${MLOPS_LAB_CACHE:-$HOME/.cache/mlops-mlflow-lab}/archives
  fi
fi
[ -z "${MLOPS_LAB_ARCHIVES:-}" ] || echo "deploy-lab.sh: images from the archives in $MLOPS_LAB_ARCHIVES"

export PATH=$repo/.venv/bin:$PATH
exec ansible-playbook playbooks/site.yml -i inventory/lab "$@"
