# shellcheck shell=bash
# The image builder, sourced by scripts/build-images.sh (the stack's images) and
# tests/lab/build.sh (those plus the test hosts). The caller sets `repo` (the repository root)
# and calls the functions below; sourcing takes the build lock (one image build at a time) and
# sets `cache` ($MLOPS_LAB_CACHE, default ~/.cache/mlops-mlflow-lab: archives/ and logs/ go there).
#
# Incremental: each image carries the hash of its inputs in the label below and is rebuilt
# only when they change; archives are re-saved only when the image ID changed. One line per
# image: NAME built|pulled|reused SECONDS.
#
# Image names and versions come from the role defaults (scripts/lib/role_defaults.py); no pin
# is kept here. The MinIO and MLflow server images are built from their roles' own Dockerfile
# templates, so the archives hold what the roles would build on a host.
: "${repo:?the caller sets repo}"
cache=${MLOPS_LAB_CACHE:-$HOME/.cache/mlops-mlflow-lab}
mkdir -p "$cache"
# build.flock, not build.lock: engines started by earlier versions of the builder inherited the
# lock's descriptor and hold build.lock for as long as they run. Whatever starts long-lived
# processes closes fd 9 for them (9>&-).
exec 9> "$cache/build.flock"
flock -n 9 || { echo "${0##*/}: waiting for another image build to finish" >&2; flock 9; }
images_dir=$repo/scripts/images
logs=$cache/logs
label=org.mlops-mlflow.lab.inputs
host_ca_bundle=/etc/ssl/certs/ca-certificates.crt
mkdir -p "$logs" "$cache/archives"
started=$(date +%s%N)

die() { echo "build.sh: $*" >&2; exit 1; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
declare -A counted=()
report() { # NAME STATUS START_NS
  local ms
  ms=$(ms_since "$3")
  counted[$2]=$(( ${counted[$2]:-0} + 1 ))
  printf '%-58s %-7s %4d.%ds\n' "$1" "$2" $((ms / 1000)) $((ms % 1000 / 100))
}
# run_logged LOGNAME CMD...: output to the log; on failure, its tail and exit.
run_logged() {
  local log=$logs/$1.log
  shift
  if ! "$@" > "$log" 2>&1; then
    tail -40 "$log" >&2
    die "failed: $* (log: $log)"
  fi
}

# hash_inputs ITEM...: file:PATH and dir:PATH (bytecode aside) hash contents, anything else is literal.
hash_inputs() {
  local item
  for item in "$@"; do
    case "$item" in
      file:*) sha256sum < "${item#file:}" ;;
      dir:*) (cd "${item#dir:}" && find . -name __pycache__ -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) ;;
      *) printf '%s\n' "$item" ;;
    esac
  done | sha256sum | cut -c1-64
}
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true; }
# An image that came from a registry (not built here) carries a repository digest.
image_pulled() { [ -n "$(docker image inspect -f '{{range .RepoDigests}}{{.}}{{end}}' "$1" 2>/dev/null)" ]; }

# ---------------------------------------------------------------- Docker engine
# Without systemd, Debian's sysvinit script is what the docker role (and an administrator)
# uses to start and restart the engine, so the engine started here must be the script's.
# The script raises resource limits first, which fails where root lacks CAP_SYS_RESOURCE:
# /etc/default/docker gets the block the docker role writes (its files/etc-default-docker,
# same marker, so the role finds nothing to change). Where there is no script, dockerd runs
# detached from this shell.
start_without_systemd() {
  local marker="# {mark} mlops.mlflow.docker: keep the limits that can be had" defaults=/etc/default/docker
  if [ -x /etc/init.d/docker ]; then
    if ! grep -qF "${marker/\{mark\}/BEGIN}" "$defaults" 2> /dev/null; then
      {
        echo "${marker/\{mark\}/BEGIN}"
        cat "$repo/roles/docker/files/etc-default-docker"
        echo "${marker/\{mark\}/END}"
      } >> "$defaults"
    fi
    echo "starting the Docker engine with /etc/init.d/docker (log: /var/log/docker.log)"
    /etc/init.d/docker start > "$logs/dockerd.log" 2>&1 9>&- || true
    local _
    for _ in $(seq 20); do docker info > /dev/null 2>&1 && return 0; sleep 1; done
    echo "the init script did not start the engine; starting dockerd directly" >&2
  fi
  echo "starting dockerd in the background (log: $logs/dockerd.log)"
  setsid dockerd >> "$logs/dockerd.log" 2>&1 < /dev/null 9>&- &
}

ensure_engine() {
  local missing=()
  # A machine may carry the docker client alone (no engine): the package is needed unless
  # an engine already answers or dockerd is installed.
  if ! docker info > /dev/null 2>&1 && ! command -v dockerd > /dev/null; then
    missing+=(docker.io)
  fi
  command -v debootstrap > /dev/null || missing+=(debootstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from the distribution"
    run_logged apt-install bash -c "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  docker info > /dev/null 2>&1 && return 0
  if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
    systemctl start docker 9>&-
  else
    start_without_systemd
  fi
  for _ in $(seq 60); do
    docker info > /dev/null 2>&1 && return 0
    sleep 1
  done
  tail -20 "$logs/dockerd.log" 2>/dev/null >&2 || true
  die "no Docker engine answers on ${DOCKER_HOST:-/var/run/docker.sock} after 60 s"
}

# ---------------------------------------------------------------- pins and mirror
python=$repo/.venv/bin/python
[ -x "$python" ] || python=python3
"$python" -c 'import jinja2, yaml' 2> /dev/null || die "needs Python with PyYAML and Jinja2: run scripts/bootstrap.sh first"
backend_store_image="" artifact_store_image="" artifact_store_base_image="" tracking_server_base_image=""
tracking_server_mlflow_version="" load_balancer_image=""
eval "$("$python" "$repo/scripts/lib/role_defaults.py" backend_store_image artifact_store_image artifact_store_base_image \
  tracking_server_base_image tracking_server_mlflow_version load_balancer_image)"
mlflow_server_image=localhost/mlops-mlflow/mlflow-server:$tracking_server_mlflow_version
# The build stage of the MinIO image, tagged so that the engine keeps its layers (the compiled
# binary) and molecule/lab_smoke can hand them to the role's build as a cache.
minio_build_stage_image=mlops-lab/minio-build:stage

apt_uris() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2> /dev/null \
    | grep -E '^[[:space:]]*(deb|URIs:)' | grep -oE '(https?|file)://[^ ]+' || true
}
mirror=${MLOPS_LAB_DEBIAN_MIRROR:-$(apt_uris | grep -m1 -E '/debian/?$' || true)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security_mirror=$(apt_uris | grep -m1 -E '/debian-security/?$' || true)
security_mirror=${security_mirror%/}

# ---------------------------------------------------------------- images
# Debian base from debootstrap: the root of every image below.
build_debian() { # VERSION SUITE
  local tag=mlops-lab/debian:$1 suite=$2 t0 hash rootfs
  t0=$(date +%s%N)
  hash=$(hash_inputs "debootstrap --variant=minbase $suite $mirror" "security $security_mirror" "recipe 1")
  if [ "$(image_label "$tag")" = "$hash" ]; then report "$tag" reused "$t0"; return; fi
  rootfs=$(mktemp -d /var/tmp/mlops-lab-rootfs.XXXXXX)
  run_logged "debootstrap-$suite" debootstrap --variant=minbase "$suite" "$rootfs" "$mirror"
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    [ -z "$security_mirror" ] || echo "deb $security_mirror $suite-security main"
  } > "$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import --change "LABEL $label=$hash" --change 'CMD ["bash"]' - "$tag" > /dev/null
  rm -rf "$rootfs"
  report "$tag" built "$t0"
}

# build_image TAG HASH CONTEXT_DIR [docker build args...]
build_image() {
  local tag=$1 hash=$2 context=$3
  shift 3
  run_logged "build-$(printf '%s' "$tag" | tr -c 'a-zA-Z0-9.-' _)" \
    env DOCKER_BUILDKIT=0 docker build --label "$label=$hash" -t "$tag" "$@" "$context"
}

# A context directory: a copy of DIR (the image's files) to add extra files to.
context_dir() { # DIR -> path; remove it afterwards
  local dir
  dir=$(mktemp -d /var/tmp/mlops-lab-context.XXXXXX)
  cp -a "$1/." "$dir/"
  echo "$dir"
}

registry_state=unknown
# Public images: pulled when a registry answers, else built from scripts/images/NAME.
build_public() { # TAG NAME
  local tag=$1 name=$2 base=mlops-lab/debian:13 t0 hash ctx
  t0=$(date +%s%N)
  hash=$(hash_inputs "dir:$images_dir/$name" "base $(image_id "$base")")
  if [ "$(image_label "$tag")" = "$hash" ]; then report "$tag" reused "$t0"; return; fi
  if [ -z "$(image_label "$tag")" ] && image_pulled "$tag"; then report "$tag" reused "$t0"; return; fi
  if [ "${MLOPS_LAB_PULL:-1}" != 0 ] && [ "$registry_state" != down ]; then
    if timeout 20 docker pull -q "$tag" > "$logs/pull-$name.log" 2>&1; then
      registry_state=up
      report "$tag" pulled "$t0"
      return
    fi
    registry_state=down
  fi
  ctx=$(context_dir "$images_dir/$name")
  build_image "$tag" "$hash" "$ctx" --build-arg "BASE=$base"
  rm -rf "$ctx"
  report "$tag" built "$t0"
}

# MinIO from the artifact_store role's own template (the role's build on a host, here on the
# machine's engine), rendered with the role defaults and the host CA bundle (the Debian mirror
# and the Go module proxy are reached through the intercepting proxy). No Go caches: the
# classic builder's layer cache keeps the compiled build stage, and the stage's own tag keeps
# it from being pruned as dangling, so only a change to the build stage (MinIO version, base
# image, CA bundle) compiles again, cold: minutes (19 and 28 min measured on a 2-core machine
# that other builds kept at a load of 10 to 27).
build_minio() {
  local tag=$artifact_store_image stage=$minio_build_stage_image role=$repo/roles/artifact_store t0 hash ctx
  t0=$(date +%s%N)
  hash=$(hash_inputs "file:$role/templates/Dockerfile.j2" "file:$role/defaults/main.yml" \
    "file:$host_ca_bundle" "base $(image_id "$artifact_store_base_image")" "recipe 2")
  if [ "$(image_label "$tag")" = "$hash" ] && [ "$(image_label "$stage")" = "$hash" ]; then
    report "$tag" reused "$t0"
    return
  fi
  ctx=$(mktemp -d /var/tmp/mlops-lab-context.XXXXXX)
  # The context as the role lays it out (directory 0755, certificate 0644, NAME.crt), so that
  # the layers of a role's build on a test host match these ones (artifact_store_build_cache_from).
  install -d -m 0755 "$ctx/ca-certificates"
  install -m 0644 "$host_ca_bundle" "$ctx/ca-certificates/$(basename "$host_ca_bundle" .crt).crt"
  run_logged render-minio "$repo/.venv/bin/ansible" localhost -i localhost, -c local \
    -m ansible.builtin.template -a "src=$role/templates/Dockerfile.j2 dest=$ctx/Dockerfile mode=0644" \
    -e "ansible_python_interpreter=$repo/.venv/bin/python" -e "@$role/defaults/main.yml" \
    -e "@$role/vars/main.yml" -e "{\"artifact_store_ca_certificates\": [\"$host_ca_bundle\"]}"
  build_image "$stage" "$hash" "$ctx" --target build
  build_image "$tag" "$hash" "$ctx"
  rm -rf "$ctx"
  report "$tag" built "$t0"
}

# The MLflow server image from the tracking_server role's own template, rendered with the
# role defaults and the host CA bundle (pip goes through the intercepting proxy).
build_mlflow_server() {
  local tag=$mlflow_server_image role=$repo/roles/tracking_server t0 hash ctx
  t0=$(date +%s%N)
  hash=$(hash_inputs "file:$role/templates/Dockerfile.j2" "file:$role/defaults/main.yml" \
    "dir:$role/files/mlflow-artifacts-plugin" \
    "file:$host_ca_bundle" "base $(image_id "$tracking_server_base_image")" "recipe 1")
  if [ "$(image_label "$tag")" = "$hash" ]; then report "$tag" reused "$t0"; return; fi
  ctx=$(mktemp -d /var/tmp/mlops-lab-context.XXXXXX)
  mkdir "$ctx/ca-certificates"
  # The plugin's files, without the bytecode that running its unit tests leaves behind.
  tar -C "$role/files" --exclude=__pycache__ -c mlflow-artifacts-plugin | tar -C "$ctx" -x
  cp "$host_ca_bundle" "$ctx/ca-certificates/host-ca-bundle.crt"
  run_logged render-mlflow-server "$repo/.venv/bin/ansible" localhost -i localhost, -c local \
    -m ansible.builtin.template -a "src=$role/templates/Dockerfile.j2 dest=$ctx/Dockerfile mode=0644" \
    -e "ansible_python_interpreter=$repo/.venv/bin/python" -e "@$role/defaults/main.yml" \
    -e "{\"tracking_server_ca_certificates\": [\"$host_ca_bundle\"]}"
  build_image "$tag" "$hash" "$ctx"
  rm -rf "$ctx"
  report "$tag" built "$t0"
}

# ---------------------------------------------------------------- archives
# save_archive FILE TAG: docker save, only when the image ID differs from the recorded one.
archive_ids=$cache/archives/image-ids
save_archive() {
  local file=$cache/archives/$1.tar tag=$2 id recorded t0
  t0=$(date +%s%N)
  id=$(image_id "$tag")
  recorded=$(awk -v f="$1.tar" '$1 == f { print $2 }' "$archive_ids" 2> /dev/null || true)
  if [ -s "$file" ] && [ "$id" = "$recorded" ]; then report "archive $1.tar" unchanged "$t0"; return; fi
  docker save -o "$file.tmp" "$tag"
  mv "$file.tmp" "$file"
  { grep -v "^$1.tar " "$archive_ids" 2> /dev/null || true; echo "$1.tar $id $tag"; } > "$archive_ids.tmp"
  mv "$archive_ids.tmp" "$archive_ids"
  report "archive $1.tar" saved "$t0"
}

# build_services: the Debian base, the service images and their archives (what site.yml loads
# through *_image_archive on a machine without a registry).
build_services() {
  build_debian 13 trixie
  build_public "$backend_store_image" postgres
  build_public "$tracking_server_base_image" python
  build_public "$load_balancer_image" haproxy
  build_public "$artifact_store_base_image" debian
  build_minio
  build_mlflow_server
  save_archive postgres "$backend_store_image"
  save_archive minio "$artifact_store_image"
  save_archive python "$tracking_server_base_image"
  save_archive mlflow-server "$mlflow_server_image"
  save_archive haproxy "$load_balancer_image"
}

# The last line is what tests/run.sh shows in its summary.
summary() { # WHAT
  printf '%s ready in %ds: %d images (%d built, %d pulled, %d reused), %d archives saved, %d unchanged (cache %s)\n' \
    "$1" $(( $(ms_since "$started") / 1000 )) $(( ${counted[built]:-0} + ${counted[pulled]:-0} + ${counted[reused]:-0} )) \
    "${counted[built]:-0}" "${counted[pulled]:-0}" "${counted[reused]:-0}" "${counted[saved]:-0}" "${counted[unchanged]:-0}" "$cache"
}
