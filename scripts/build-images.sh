#!/usr/bin/env bash
# Builds the stack's images on a Debian-family machine where no container registry answers,
# as root, and saves them as archives for the roles' *_image_archive variables
# (inventory/lab/group_vars/all.yml: MLOPS_LAB_ARCHIVES):
#   1. makes sure a Docker engine answers (installs docker.io and debootstrap when absent,
#      starts dockerd when nothing answers, with or without systemd);
#   2. a Debian base from debootstrap, PostgreSQL, Python and HAProxy images with the official
#      images' contracts on it (scripts/images/), or those pulled where a registry answers;
#      MinIO and the MLflow server from their roles' own Dockerfile templates;
#   3. archives in $MLOPS_LAB_CACHE/archives (default ~/.cache/mlops-mlflow-lab/archives).
# Incremental (seconds when nothing changed); scripts/lib/images.sh has the builder.
#
# Environment:
#   MLOPS_LAB_CACHE          cache root (default ~/.cache/mlops-mlflow-lab): archives/, logs/
#   MLOPS_LAB_DEBIAN_MIRROR  Debian mirror (default: the machine's apt sources)
#   MLOPS_LAB_PULL=0         never try a registry for the public images
set -euo pipefail
[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=scripts/lib/images.sh
. "$repo/scripts/lib/images.sh"

ensure_engine
build_services
summary images
