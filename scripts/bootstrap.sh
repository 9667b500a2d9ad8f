#!/usr/bin/env bash
# Prepare this clone as an Ansible controller.
#   scripts/bootstrap.sh            controller only (deploy the lab)
#   scripts/bootstrap.sh test       controller plus the test toolchain, and the stock MLflow
#                                   client of the tests in .venv-client
# Creates .venv with Python >= 3.12 (ansible-core 2.20+ needs it) from the pins in
# requirements/, and makes the collection visible as mlops.mlflow through
# .collections/ (see ansible.cfg). Re-running with nothing changed takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-controller}
case "$what" in controller|test) ;; *) echo "usage: $0 [controller|test]" >&2; exit 2 ;; esac

find_python() {
  local candidate
  for candidate in "${MLOPS_PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  # pyenv installs its versions without putting them on PATH.
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.1[23]*/bin/python3; do
      [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
  fi
  return 1
}

# Debian and Ubuntu keep venv's pip bootstrap (ensurepip) in a package of its own, absent
# from a fresh install: as root with apt, install it; otherwise say which one is missing.
ensure_venv_support() { # PYTHON
  "$1" -c 'import ensurepip' 2> /dev/null && return 0
  local pkg
  pkg=python$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv
  if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null; then
    echo "bootstrap: installing $pkg (virtual environments need it)"
    apt-get update -qq > /dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" > /dev/null
    "$1" -c 'import ensurepip' 2> /dev/null && return 0
  fi
  echo "bootstrap: $1 cannot create virtual environments: install $pkg (apt-get install $pkg)" >&2
  exit 1
}

venv=$root/.venv
stamp=$venv/.requirements-$what.sha256
want=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
# No pip in it: an earlier attempt failed half-way (no ensurepip then); start again.
if [ ! -x "$venv/bin/python" ] || [ ! -x "$venv/bin/pip" ]; then
  python=$(find_python) || { echo "bootstrap: Python 3.12 or newer is required (set MLOPS_PYTHON)" >&2; exit 1; }
  ensure_venv_support "$python"
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "requirements/$what.txt"
  rm -f "$venv"/.requirements-*.sha256
  echo "$want" > "$stamp"
fi

# The stock MLflow client of the tests (requirements/client.txt): its own environment, so the
# tutorial runs with exactly what a user installs.
if [ "$what" = test ]; then
  client=$root/.venv-client
  client_want=$(sha256sum < requirements/client.txt | cut -d' ' -f1)
  if [ ! -x "$client/bin/pip" ] || [ "$(cat "$client/.requirements.sha256" 2>/dev/null)" != "$client_want" ]; then
    "$venv/bin/python" -m venv --clear "$client"
    "$client/bin/pip" install --quiet --disable-pip-version-check -r requirements/client.txt
    echo "$client_want" > "$client/.requirements.sha256"
  fi
fi

# ansible.cfg points collections_path here, so roles and modules resolve by FQCN.
mkdir -p .collections/ansible_collections/mlops
ln -sfn ../../.. .collections/ansible_collections/mlops/mlflow
