#!/usr/bin/env bash
# Wall time of the lab build and the size of each lab image.
#   benchmarks/lab_build.sh          warm: nothing changed since the last build
#   benchmarks/lab_build.sh --cold   cold: with an empty cache directory and no lab images
#                                    (removes the lab images; the next build rebuilds them)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--cold" ]; then
  export MLOPS_LAB_CACHE
  MLOPS_LAB_CACHE=$(mktemp -d)
  docker images --filter label=org.mlops-mlflow.lab.inputs --format '{{.ID}}' | sort -u | xargs -r docker rmi -f >/dev/null
fi
start=$(date +%s.%N)
tests/lab/build.sh > /dev/null
end=$(date +%s.%N)
printf 'lab build (%s): %.1f s\n' "${1:---warm}" "$(echo "$end - $start" | bc)"
docker images --filter label=org.mlops-mlflow.lab.inputs --format '{{.Repository}}:{{.Tag}}\t{{.Size}}'
