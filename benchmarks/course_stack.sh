#!/usr/bin/env bash
# The peer of P1: the course's docker-compose stack (the MLOps study note this project starts
# from: PostgreSQL, MinIO, a bucket made with `mc mb`, then `mlflow server
# --backend-store-uri postgresql://... --default-artifact-root s3://mlflow/ --host 0.0.0.0`),
# done by hand with `docker run` and the collection's own images, waiting for each service to
# be ready before the next depends on it, as `depends_on: condition: service_healthy` would.
# It runs on a host that has Docker Engine and the images (the bench host of compare.py).
#
#   course_stack.sh up      start it; returns once PostgreSQL, MinIO and MLflow answer
#   course_stack.sh down    remove its containers, volumes and network
#
# Environment: POSTGRES_IMAGE, MINIO_IMAGE, MLFLOW_IMAGE (the role defaults' images);
# COURSE_PORT (5001) and COURSE_S3_PORT (19000), published on 127.0.0.1 of the host.
# Credentials are the course's fixed ones: a peer, not a deployment.
set -euo pipefail
prefix=mlops-bench-course
net=$prefix
port=${COURSE_PORT:-5001}
s3_port=${COURSE_S3_PORT:-19000}

# wait_for WHAT SECONDS CMD...: run CMD every 0.2 s until it succeeds.
wait_for() {
  local what=$1 deadline=$(($(date +%s) + $2))
  shift 2
  until "$@" > /dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "course_stack.sh: $what not ready" >&2; exit 1; }
    sleep 0.2
  done
}
http_ok() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1"; }

case "${1:-}" in
  up)
    : "${POSTGRES_IMAGE:?}" "${MINIO_IMAGE:?}" "${MLFLOW_IMAGE:?}"
    docker network create "$net" > /dev/null
    docker run -d --name "$prefix-postgres" --network "$net" --network-alias mlflow-backend-store \
      -e POSTGRES_USER=mlflowuser -e POSTGRES_PASSWORD=mlflowpassword -e POSTGRES_DB=mlflowdatabase \
      -v "$prefix-pgdata:/var/lib/postgresql/data" "$POSTGRES_IMAGE" > /dev/null
    docker run -d --name "$prefix-minio" --network "$net" --network-alias mlflow-artifact-store \
      -p "127.0.0.1:$s3_port:9000" -e MINIO_ROOT_USER=minio -e MINIO_ROOT_PASSWORD=miniostorage \
      -v "$prefix-data:/data" "$MINIO_IMAGE" server /data --console-address :9001 > /dev/null
    # PostgreSQL's image restarts the server once after initdb: ask over TCP, as MLflow will.
    wait_for PostgreSQL 120 docker exec "$prefix-postgres" pg_isready -h 127.0.0.1 -U mlflowuser -d mlflowdatabase
    wait_for MinIO 120 http_ok "http://127.0.0.1:$s3_port/minio/health/live"
    # The course's server command: make the bucket (mc mb --ignore-existing), then mlflow server.
    # postgresql+psycopg2://, not postgresql://: SQLAlchemy 2.1 picks psycopg 3 otherwise.
    docker run -d --name "$prefix-server" --network "$net" -p "127.0.0.1:$port:5000" \
      -e AWS_ACCESS_KEY_ID=minio -e AWS_SECRET_ACCESS_KEY=miniostorage \
      -e MLFLOW_S3_ENDPOINT_URL=http://mlflow-artifact-store:9000 \
      --entrypoint sh "$MLFLOW_IMAGE" -c '
        python -c "
import boto3, botocore.exceptions
s3 = boto3.client(\"s3\", endpoint_url=\"http://mlflow-artifact-store:9000\", region_name=\"us-east-1\")
try:
    s3.create_bucket(Bucket=\"mlflow\")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
" && exec mlflow server \
          --backend-store-uri postgresql+psycopg2://mlflowuser:mlflowpassword@mlflow-backend-store/mlflowdatabase \
          --default-artifact-root s3://mlflow/ --host 0.0.0.0' > /dev/null
    wait_for "MLflow server" 180 http_ok "http://127.0.0.1:$port/health"
    ;;
  down)
    docker rm -f "$prefix-server" "$prefix-minio" "$prefix-postgres" > /dev/null 2>&1 || true
    docker volume rm "$prefix-pgdata" "$prefix-data" > /dev/null 2>&1 || true
    docker network rm "$net" > /dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
