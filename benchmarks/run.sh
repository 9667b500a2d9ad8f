#!/usr/bin/env bash
# The performance comparison of issue 12 in one command: our stack beside its peers (the
# course's docker-compose stack, direct S3, the course's `mlflow server` flags), each pair in
# turn, medians and ratios in a table (benchmarks/README.md says what each row means).
#
#   benchmarks/run.sh                    P1 to P4, 3 rounds (about 25 min on 2 cores)
#   benchmarks/run.sh --only P3,P4 --rounds 5 --keep
#   benchmarks/run.sh --multi-host       P2 on molecule/multi_host's five hosts as well (heavy)
#   benchmarks/run.sh --destroy          remove every bench host (mlops-bench-*)
#
# Needs root, the lab images (tests/lab/build.sh) and scripts/bootstrap.sh test (.venv and
# .venv-client). Not part of tests/run.sh: it measures, it never passes or fails a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/ansible-playbook ] || [ ! -x .venv-client/bin/python ]; then
  scripts/bootstrap.sh test
fi

# The course's clients write to MinIO themselves, with boto3 (P3's peer): a stock client plus
# boto3 at the version the server image pins (roles/tracking_server/defaults), in .venv-bench.
tracking_server_boto3_version="" tracking_server_mlflow_version=""
eval "$(.venv/bin/python scripts/lib/role_defaults.py tracking_server_boto3_version tracking_server_mlflow_version)"
if ! .venv-bench/bin/python -c "import boto3, mlflow, sys; sys.exit(boto3.__version__ != '$tracking_server_boto3_version' or mlflow.__version__ != '$tracking_server_mlflow_version')" 2> /dev/null; then
  "$(.venv-client/bin/python -c 'import sys; print(sys._base_executable)')" -m venv --clear .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check -r requirements/client.txt "boto3==$tracking_server_boto3_version"
fi

exec .venv-client/bin/python benchmarks/compare.py "$@"
