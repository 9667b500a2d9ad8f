#!/usr/bin/env bash
# Run ansible-test on this collection: ansible-test insists on
# .../ansible_collections/<namespace>/<name>, so the tracked (and untracked, not ignored)
# files are mirrored there first.
#   tests/ansible-test.sh [--venv DIR] sanity|units|integration ARGS...
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=$repo/.venv
if [ "${1:-}" = "--venv" ]; then venv=$2; shift 2; fi
cache=${MLOPS_LAB_CACHE:-$HOME/.cache/mlops-mlflow-lab}
# One tree per venv, so two ansible-core lines can run side by side.
dest=$cache/ansible-test/$(basename "$venv")/ansible_collections/mlops/mlflow
mkdir -p "$dest"

# Mirror: copy what git knows, delete what it no longer has; keep tests/output.
(cd "$repo" && git ls-files -co --exclude-standard -z) > "$cache/ansible-test/.files"
(cd "$repo" && tar --null -T "$cache/ansible-test/.files" -cf - 2>/dev/null) | tar -C "$dest" -xf -
(cd "$dest" && find . -type f -not -path './tests/output/*' -printf '%P\0') \
  | sort -z > "$cache/ansible-test/.present"
sort -z "$cache/ansible-test/.files" | comm -z -23 "$cache/ansible-test/.present" - \
  | (cd "$dest" && xargs -0 -r rm -f --)
if [ -f "$repo/tests/integration/integration_config.yml" ]; then
  cp "$repo/tests/integration/integration_config.yml" "$dest/tests/integration/"
fi

cd "$dest"
export PATH=$venv/bin:$PATH
exec "$venv/bin/ansible-test" "$@"
