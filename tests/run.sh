#!/usr/bin/env bash
# The whole test suite, in order, stopping at the first failure:
#   setup (toolchain, Docker engine, lab images) -> lint -> sanity (each ansible-core line)
#   -> units -> integration (real PostgreSQL, MinIO, MLflow) -> collection build
#   -> molecule (every scenario).
# Ends with what ran, the counts and each stage's wall time. Logs: tests/output/logs/.
#
#   tests/run.sh                   everything
#   tests/run.sh lint units        only these stages (setup always runs)
#   MOLECULE_SCENARIOS="default"   restrict the molecule stage
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
repo=$PWD
logs=$repo/tests/output/logs
mkdir -p "$logs"
# One run at a time: the stages share the integration services and the molecule instances.
exec 8> "$repo/tests/output/run.lock"
flock -n 8 || { echo "tests/run.sh: another run is in progress in this checkout; waiting" >&2; flock 8; }
export MLOPS_LAB_CACHE=${MLOPS_LAB_CACHE:-$HOME/.cache/mlops-mlflow-lab}
export PATH=$repo/.venv/bin:$PATH
export ANSIBLE_FORCE_COLOR=false PY_COLORS=0

all_stages=(setup lint sanity units integration collection molecule)
if [ $# -gt 0 ]; then stages=(setup "$@"); else stages=("${all_stages[@]}"); fi
# ansible-core lines checked by sanity, each in its own venv (requirements/sanity-LINE.txt):
# ansible-test --requirements installs its pinned linters there. Scenarios and
# integration run on the newest line, the one in requirements/controller.txt.
sanity_lines=(2.21 2.20)

declare -a summary=()
passed=0
failed=0
started_all=$(date +%s)

note() { printf '\n==> %s\n' "$*"; }
record() { summary+=("$(printf '%-12s %-6s %5ss  %s' "$1" "$2" "$3" "$4")"); }

finish() {
  local status=$1
  # The integration services (started by the integration or collection stage).
  [ -f tests/integration/integration_config.yml ] && tests/lab/services.sh down >> "$logs/services.log" 2>&1
  printf '\n==================== summary ====================\n'
  printf '%s\n' "${summary[@]}"
  printf 'total wall time: %ss\n' $(( $(date +%s) - started_all ))
  printf '%s passed, %s failed\n' "$passed" "$failed"
  exit "$status"
}

# stage_begin NAME / stage_end NAME STATUS: time a stage and record the detail line the
# stage function leaves in $detail; a failed stage ends the run.
stage_begin() {
  note "stage $1"
  detail=""
  stage_t0=$(date +%s)
  stage_failed_before=$failed
}

stage_end() {
  local name=$1 rc=$2 took
  took=$(( $(date +%s) - stage_t0 ))
  if [ "$rc" -eq 0 ]; then
    record "$name" ok "$took" "$detail"
  else
    record "$name" FAILED "$took" "$detail (exit $rc; logs in tests/output/logs)"
    # Count the stage itself when it did not count its own failures.
    [ "$failed" -gt "$stage_failed_before" ] || failed=$((failed + 1))
    finish 1
  fi
}

stage_setup() {
  scripts/bootstrap.sh test > "$logs/bootstrap.log" 2>&1 || { tail -30 "$logs/bootstrap.log"; return 1; }
  # ansible-test's sanity test of shell scripts needs the shellcheck tool.
  if ! command -v shellcheck >/dev/null 2>&1; then
    apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck > /dev/null || return 1
  fi
  local line venv
  for line in "${sanity_lines[@]}"; do
    venv=$repo/.venv-sanity-$line
    if [ ! -x "$venv/bin/ansible-test" ] || ! cmp -s "requirements/sanity-$line.txt" "$venv/.requirements"; then
      "$repo/.venv/bin/python" -m venv --clear "$venv" \
        && "$venv/bin/pip" install -q --disable-pip-version-check -r "requirements/sanity-$line.txt" \
        && cp "requirements/sanity-$line.txt" "$venv/.requirements" || return 1
    fi
  done
  # 8>&-: an engine that build.sh starts must not inherit the run lock.
  tests/lab/build.sh 2>&1 8>&- | tee "$logs/lab-build.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
  detail="venvs ready; lab: $(grep -cE ' (built|reused|pulled) ' "$logs/lab-build.log") images ($(grep -cE ' (built|pulled) ' "$logs/lab-build.log") built or pulled)"
  return 0  # grep -c finding nothing built must not fail the stage
}

stage_lint() {
  local rc=0
  yamllint -s . > "$logs/yamllint.log" 2>&1 || { cat "$logs/yamllint.log"; rc=1; }
  ansible-lint --profile production > "$logs/ansible-lint.log" 2>&1 || { tail -40 "$logs/ansible-lint.log"; rc=1; }
  ruff check . > "$logs/ruff.log" 2>&1 || { cat "$logs/ruff.log"; rc=1; }
  detail="yamllint, ansible-lint (production), ruff"
  if [ "$rc" -eq 0 ]; then passed=$((passed + 3)); else failed=$((failed + 1)); fi
  return "$rc"
}

stage_sanity() {
  local line venv count total=0 ran=()
  for line in "${sanity_lines[@]}"; do
    venv=$repo/.venv-sanity-$line
    local version
    version=$("$venv/bin/ansible" --version | sed -n '1s/.*core \([0-9.]*\).*/\1/p')
    tests/ansible-test.sh --venv "$venv" sanity --local --requirements --python 3.12 --color no \
      > "$logs/sanity-$version.log" 2>&1
    local rc=$?
    count=$(grep -c '^Running sanity test' "$logs/sanity-$version.log")
    if [ "$rc" -ne 0 ]; then
      grep -E '^(ERROR|FATAL)|: (E|W)[0-9]' "$logs/sanity-$version.log" | head -40
      detail="ansible-core $version: failed"
      return 1
    fi
    total=$((total + count))
    ran+=("$version: $count tests")
  done
  passed=$((passed + total))
  detail="ansible-core ${ran[*]}"
}

stage_units() {
  pytest -q -p no:cacheprovider --junitxml="$logs/units.xml" tests/unit > "$logs/units.log" 2>&1
  local rc=$?
  tail -5 "$logs/units.log"
  local line
  line=$(tail -1 "$logs/units.log")
  local p f
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | cut -d' ' -f1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  detail="pytest: ${p:-0} passed, ${f:-0} failed"
  return "$rc"
}

stage_integration() {
  tests/lab/services.sh up > "$logs/services.log" 2>&1 || { tail -30 "$logs/services.log"; return 1; }
  local targets ok=0 bad=0 t
  targets=$(find tests/integration/targets -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
  for t in $targets; do
    if tests/ansible-test.sh integration "$t" --local --python 3.12 --color no > "$logs/integration-$t.log" 2>&1; then
      ok=$((ok + 1)); echo "  $t: ok"
    else
      bad=$((bad + 1)); echo "  $t: FAILED"; tail -40 "$logs/integration-$t.log"
    fi
  done
  passed=$((passed + ok)); failed=$((failed + bad))
  detail="$ok targets passed, $bad failed (real PostgreSQL, MinIO, MLflow)"
  [ "$bad" -eq 0 ]
}

# The collection as users get it: build the tarball, install it into an empty path, run a
# playbook from outside the repository that uses modules and roles by FQCN.
stage_collection() {
  local work config=$repo/tests/integration/integration_config.yml
  # The FQCN playbook talks to the integration services; the integration stage leaves them up.
  if [ ! -f "$config" ]; then
    tests/lab/services.sh up > "$logs/services.log" 2>&1 || { tail -30 "$logs/services.log"; return 1; }
  fi
  work=$(mktemp -d)
  ansible-galaxy collection build --force --output-path "$work" > "$logs/collection.log" 2>&1 || { cat "$logs/collection.log"; return 1; }
  # A configuration of its own, so the repository's ansible.cfg (.collections) plays no part.
  printf '[defaults]\ncollections_path = %s\n' "$work/collections" > "$work/ansible.cfg"
  (cd "$work" && ANSIBLE_CONFIG="$work/ansible.cfg" ansible-galaxy collection install --offline --no-deps --force \
    -p "$work/collections" "$work"/mlops-mlflow-*.tar.gz) >> "$logs/collection.log" 2>&1 \
    || { cat "$logs/collection.log"; return 1; }
  [ -f "$work/collections/ansible_collections/mlops/mlflow/MANIFEST.json" ] \
    || { echo "the tarball did not install into $work/collections"; cat "$logs/collection.log"; return 1; }
  local rc=0 plugin
  (
    cd "$work" || exit 1
    export ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_NOCOLOR=1
    # ansible-doc renders every module and role of the installed collection.
    for plugin in s3_bucket postgresql_database registry_check minio_user; do
      ansible-doc "mlops.mlflow.$plugin" > "$work/doc-$plugin.txt" || exit 1
      grep -q '^EXAMPLES' "$work/doc-$plugin.txt" && grep -q '^RETURN VALUES' "$work/doc-$plugin.txt" || { echo "ansible-doc mlops.mlflow.$plugin lacks EXAMPLES or RETURN"; exit 1; }
    done
    ansible-doc -t filter mlops.mlflow.object_access_policy > "$work/doc-filter-object_access_policy.txt" || exit 1
    for plugin in docker backend_store artifact_store tracking_server; do
      ansible-doc -t role "mlops.mlflow.$plugin" > "$work/doc-role-$plugin.txt" || exit 1
    done
    cp "$repo/tests/collection/fqcn.yml" "$work/fqcn.yml"
    ansible-playbook -i localhost, -c local -e "@$config" fqcn.yml
  ) >> "$logs/collection.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || tail -40 "$logs/collection.log"
  local recap
  recap=$(grep -E '^localhost +:' "$logs/collection.log" | tail -1 | tr -s ' ')
  detail="$(basename "$work"/mlops-mlflow-*.tar.gz) installs; ansible-doc for 4 modules, 1 filter and 4 roles; FQCN playbook from outside the repo (${recap#localhost : })"
  rm -rf "$work"
  [ "$rc" -eq 0 ] && passed=$((passed + 1))
  return "$rc"
}

stage_molecule() {
  local scenarios s ok=0 bad=0 idem=()
  # Scenarios are the folders with a molecule.yml (molecule/resources holds what they share).
  scenarios=${MOLECULE_SCENARIOS:-$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort | tr '\n' ' ')}
  for s in $scenarios; do
    local t0 rc took
    t0=$(date +%s)
    molecule test -s "$s" > "$logs/molecule-$s.log" 2>&1
    rc=$?
    took=$(( $(date +%s) - t0 ))
    # molecule 26 logs "idempotence: Executed: Successful"; older ones "Idempotence completed successfully".
    if grep -qE 'Idempotence completed successfully|idempotence: Executed: Successful' "$logs/molecule-$s.log"; then
      idem+=("$s: changed=0")
    elif grep -qE 'Idempotence test failed|idempotence: Executed: Failed' "$logs/molecule-$s.log"; then
      idem+=("$s: NOT idempotent")
    fi
    if [ "$rc" -eq 0 ]; then
      ok=$((ok + 1)); echo "  $s: ok (${took}s)"
    else
      bad=$((bad + 1)); echo "  $s: FAILED (${took}s)"; tail -60 "$logs/molecule-$s.log"
      break
    fi
  done
  passed=$((passed + ok)); failed=$((failed + bad))
  detail="$ok scenarios passed, $bad failed; idempotence: ${idem[*]:-none ran}"
  [ "$bad" -eq 0 ]
}

for stage in "${stages[@]}"; do
  case " ${all_stages[*]} " in *" $stage "*) ;; *) echo "unknown stage $stage" >&2; exit 2 ;; esac
done
for stage in "${stages[@]}"; do
  stage_begin "$stage"
  case $stage in
    setup) stage_setup ;;
    lint) stage_lint ;;
    sanity) stage_sanity ;;
    units) stage_units ;;
    integration) stage_integration ;;
    collection) stage_collection ;;
    molecule) stage_molecule ;;
  esac
  stage_end "$stage" $?
done
finish 0
