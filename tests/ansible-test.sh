#!/usr/bin/env bash
# Run ansible-test on this collection: ansible-test insists on
# .../ansible_collections/<namespace>/<name>, so the tracked (and untracked, not ignored)
# files are mirrored there first.
#   tests/ansible-test.sh [--venv DIR] sanity|units|integration ARGS...
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=$repo/.venv
if [ "${1:-}" = "--venv" ]; then venv=$(cd "$2" && pwd); shift 2; fi
cache=${MLOPS_LAB_CACHE:-$HOME/.cache/mlops-mlflow-lab}
# One tree per checkout and venv, so two ansible-core lines (or two worktrees) can run side by side.
work=$cache/ansible-test/$(printf '%s' "$repo" | sha256sum | cut -c1-8)-$(basename "$venv")
dest=$work/ansible_collections/mlops/mlflow
mkdir -p "$dest"

# Mirror: copy what git knows, delete what it no longer has; keep tests/output.
(cd "$repo" && git ls-files -co --exclude-standard -z) > "$work/.files"
(cd "$repo" && tar --null -T "$work/.files" -cf - 2>/dev/null) | tar -C "$dest" -xf -
(cd "$dest" && find . -type f -not -path './tests/output/*' -printf '%P\0') \
  | sort -z > "$work/.present"
sort -z "$work/.files" | comm -z -23 "$work/.present" - \
  | (cd "$dest" && xargs -0 -r rm -f --)
if [ -f "$repo/tests/integration/integration_config.yml" ]; then
  cp "$repo/tests/integration/integration_config.yml" "$dest/tests/integration/"
fi

# ansible-test passes HOME and little else to what it runs: give it a HOME of its own
# that trusts the system CA bundle (HTTPS interception) and holds pip's bootstrap
# script, which it would otherwise download from a host that may be unreachable.
export HOME=$cache/ansible-test-home
mkdir -p "$HOME/.config/pip" "$HOME/.ansible/test/cache"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$HOME/.config/pip/pip.conf"
fi
for pip_version in $(grep -ho "pip='[0-9.]*'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | tr -dc '0-9.\n'); do
  cp "$repo/tests/tools/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
done

cd "$dest"
export PATH=$venv/bin:$PATH
exec "$venv/bin/ansible-test" "$@"
