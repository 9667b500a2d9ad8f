#!/usr/bin/env bash
# Builds the offline test lab (docs/development.md, "The test lab"), as root, with no
# container registry needed: what scripts/build-images.sh builds (the Docker engine, the
# stack's images and their archives; the builder is scripts/lib/images.sh) plus the test
# hosts (systemd Debian 12 and 13) and the archives molecule/lab_smoke builds MinIO from.
# Same environment variables as scripts/build-images.sh.
set -euo pipefail
[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }
cd "$(dirname "$0")/../.."
repo=$PWD
lab=$repo/tests/lab
# shellcheck source=scripts/lib/images.sh
. "$repo/scripts/lib/images.sh"

# Test hosts: systemd as PID 1, python3, the host's CA bundle; their own Docker engine comes
# from the docker role.
build_systemd() { # VERSION
  local tag=mlops-lab/systemd-debian:$1 base=mlops-lab/debian:$1 t0 hash ctx
  t0=$(date +%s%N)
  hash=$(hash_inputs "dir:$lab/images/systemd-debian" "file:$host_ca_bundle" "base $(image_id "$base")")
  if [ "$(image_label "$tag")" = "$hash" ]; then report "$tag" reused "$t0"; return; fi
  ctx=$(context_dir "$lab/images/systemd-debian")
  cp "$host_ca_bundle" "$ctx/host-ca-bundle.crt"
  build_image "$tag" "$hash" "$ctx" --build-arg "BASE=$base"
  rm -rf "$ctx"
  report "$tag" built "$t0"
}

ensure_engine
build_debian 12 bookworm
build_services
build_systemd 12
build_systemd 13
# molecule/lab_smoke: the artifact_store role builds MinIO on a test host from these two.
save_archive debian "$artifact_store_base_image"
save_archive minio-build "$minio_build_stage_image"
summary lab
