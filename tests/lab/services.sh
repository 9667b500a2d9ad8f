#!/usr/bin/env bash
# The services the integration tests talk to (docs/development.md, "The test lab"):
#   tests/lab/services.sh up     (re)create PostgreSQL, MinIO and MLflow on network mlops-it,
#                                ports on 127.0.0.1 only, fresh random secrets, and write
#                                tests/integration/integration_config.yml
#   tests/lab/services.sh ensure the services of the last `up` from this checkout if they still
#                                run and answer (another checkout may have replaced them),
#                                else `up`: what the nox sessions integration and collection call
#   tests/lab/services.sh down   remove the containers, their volumes and the network
# Images come from tests/lab/build.sh; their names from the role defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
config=$repo/tests/integration/integration_config.yml
network=mlops-it
pg=mlops-it-postgres
minio=mlops-it-minio
mlflow=mlops-it-mlflow
pg_port=15432
s3_port=19000
mlflow_port=15000
bucket=mlops-it-mlflow
mlflow_database=mlops_it_mlflow
region=us-east-1

die() { echo "services.sh: $*" >&2; exit 1; }

down() {
  local c
  for c in "$mlflow" "$minio" "$pg"; do
    docker rm -f -v "$c" > /dev/null 2>&1 || true
  done
  # Whatever else a test attached to the network (the registry_check target's broken
  # servers, left behind when a run is interrupted).
  docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$network" 2> /dev/null \
    | xargs -r docker rm -f -v > /dev/null 2>&1 || true
  docker network rm "$network" > /dev/null 2>&1 || true
  rm -f "$config"
}

# wait_for WHAT SECONDS CONTAINER CMD...: until CMD succeeds; on timeout the container's log.
wait_for() {
  local what=$1 limit=$2 container=$3 t0=$SECONDS
  shift 3
  until "$@" > /dev/null 2>&1; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$container" 2> /dev/null)" != true ]; then
      docker logs --tail 40 "$container" >&2 || true
      die "$what: container $container stopped"
    fi
    if [ $((SECONDS - t0)) -ge "$limit" ]; then
      docker logs --tail 40 "$container" >&2 || true
      die "$what did not answer within ${limit}s"
    fi
    sleep 1
  done
  echo "$what answers ($((SECONDS - t0))s)"
}

http_ok() { # URL [HOST header]: 2xx
  curl -fsS -o /dev/null --max-time 5 ${2:+-H "Host: $2"} "$1"
}

secret() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

up() {
  local python=$repo/.venv/bin/python
  [ -x "$python" ] || die "no .venv: run scripts/bootstrap.sh test first"
  local backend_store_image="" artifact_store_image="" tracking_server_mlflow_version=""
  eval "$("$python" scripts/lib/role_defaults.py backend_store_image artifact_store_image \
    tracking_server_mlflow_version)"
  local mlflow_image=localhost/mlops-mlflow/mlflow-server:$tracking_server_mlflow_version image
  for image in "$backend_store_image" "$artifact_store_image" "$mlflow_image"; do
    docker image inspect "$image" > /dev/null 2>&1 || die "image $image is missing: run tests/lab/build.sh"
  done

  down
  local pg_password s3_access_key s3_secret_key
  pg_password=$(secret 16)
  s3_access_key=it$(secret 8)
  s3_secret_key=$(secret 20)

  docker network create "$network" > /dev/null
  docker run -d --name "$pg" --network "$network" -p "127.0.0.1:$pg_port:5432" \
    -e POSTGRES_USER=postgres -e POSTGRES_PASSWORD="$pg_password" -e POSTGRES_DB="$mlflow_database" \
    "$backend_store_image" > /dev/null
  docker run -d --name "$minio" --network "$network" -p "127.0.0.1:$s3_port:9000" \
    -e MINIO_ROOT_USER="$s3_access_key" -e MINIO_ROOT_PASSWORD="$s3_secret_key" \
    "$artifact_store_image" > /dev/null

  # Over TCP, as the tests connect; the image's initdb phase only listens on the socket.
  wait_for "PostgreSQL on 127.0.0.1:$pg_port" 90 "$pg" \
    docker exec "$pg" pg_isready -q --host=127.0.0.1 --username=postgres --dbname="$mlflow_database"
  wait_for "MinIO on 127.0.0.1:$s3_port" 60 "$minio" http_ok "http://127.0.0.1:$s3_port/minio/health/live"

  AWS_ACCESS_KEY_ID=$s3_access_key AWS_SECRET_ACCESS_KEY=$s3_secret_key \
    "$python" - "http://127.0.0.1:$s3_port" "$bucket" "$region" <<'EOF'
import sys

import boto3

endpoint, bucket, region = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
s3.create_bucket(Bucket=bucket)
s3.head_bucket(Bucket=bucket)
EOF
  echo "bucket $bucket created"

  # The database URI (with its password) goes in through the environment, not the
  # command line, so it is not in the process list.
  docker run -d --name "$mlflow" --network "$network" -p "127.0.0.1:$mlflow_port:5000" \
    -e MLFLOW_BACKEND_STORE_URI="postgresql+psycopg2://postgres:$pg_password@$pg:5432/$mlflow_database" \
    -e MLFLOW_S3_ENDPOINT_URL="http://$minio:9000" \
    -e AWS_ACCESS_KEY_ID="$s3_access_key" -e AWS_SECRET_ACCESS_KEY="$s3_secret_key" \
    -e AWS_DEFAULT_REGION="$region" -e MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \
    "$mlflow_image" server --host 0.0.0.0 --port 5000 --workers 2 \
    --serve-artifacts --artifacts-destination "s3://$bucket" \
    --allowed-hosts "127.0.0.1:$mlflow_port,localhost:$mlflow_port,$mlflow:5000,$mlflow" > /dev/null
  wait_for "MLflow on 127.0.0.1:$mlflow_port" 180 "$mlflow" http_ok "http://127.0.0.1:$mlflow_port/health"
  # /health is exempt from the host check: make sure the API answers too (its first request
  # can be slow on a loaded machine; a refused Host header would fail every try).
  wait_for "MLflow's API for Host 127.0.0.1:$mlflow_port" 90 "$mlflow" \
    http_ok "http://127.0.0.1:$mlflow_port/api/2.0/mlflow/experiments/search?max_results=1"

  local ids
  ids=$(container_ids)
  umask 077
  cat > "$config" <<EOF
---
# Written by tests/lab/services.sh up; removed by down. Secrets are fresh on every up.
# containers: $ids
mlops_it_s3_endpoint_url: "http://127.0.0.1:$s3_port"
mlops_it_s3_access_key: "$s3_access_key"
mlops_it_s3_secret_key: "$s3_secret_key"
mlops_it_s3_region: "$region"
mlops_it_pg_host: "127.0.0.1"
mlops_it_pg_port: $pg_port
mlops_it_pg_user: "postgres"
mlops_it_pg_password: "$pg_password"
mlops_it_mlflow_url: "http://127.0.0.1:$mlflow_port"
mlops_it_mlflow_bucket: "$bucket"
mlops_it_docker_network: "$network"
mlops_it_mlflow_image: "$mlflow_image"
EOF
  echo "services up; variables in ${config#"$repo"/}"
}

# The short IDs of the three containers, running ones only, on one line (the config file's
# comment stays within the YAML line length and has no trailing space).
container_ids() {
  docker inspect -f '{{if .State.Running}}{{.Id}}{{end}}' "$pg" "$minio" "$mlflow" 2> /dev/null \
    | cut -c1-12 | paste -sd ' ' -
}

# The services this checkout's integration_config.yml describes are the ones running, and answer.
current() {
  local ids
  [ -f "$config" ] || return 1
  ids=$(container_ids)
  [ "$(sed -n 's/^# containers: //p' "$config")" = "$ids" ] && [ "$(wc -w <<< "$ids")" -eq 3 ] \
    && http_ok "http://127.0.0.1:$mlflow_port/api/2.0/mlflow/experiments/search?max_results=1" \
    && http_ok "http://127.0.0.1:$s3_port/minio/health/live" \
    && docker exec "$pg" pg_isready -q --host=127.0.0.1 --username=postgres > /dev/null 2>&1
}

case "${1:-}" in
  up) t0=$SECONDS; up; echo "up in $((SECONDS - t0))s" ;;
  ensure)
    if current; then echo "services up (reused: they run and answer, as ${config#"$repo"/} says)"
    else t0=$SECONDS; up; echo "up in $((SECONDS - t0))s"; fi ;;
  down) down; echo "services down" ;;
  *) echo "usage: $0 up|ensure|down" >&2; exit 2 ;;
esac
