#!/usr/bin/env bash
# The whole test suite, stopping at the first failure:
#   setup        scripts/bootstrap.sh test (.venv with the pinned nox, molecule, ansible) and
#                tests/lab/build.sh (Docker engine, lab images)
#   lint         nox: codeqa (ruff), yamllint, antsibull-nox-config, ansible-lint
#   sanity       nox: ansible-test sanity for each supported ansible-core line
#   units        nox: pytest tests/unit
#   integration  nox: ansible-test integration against tests/lab/services.sh
#   collection   nox: the built tarball installed, ansible-doc, an FQCN playbook from outside
#   molecule     `molecule test -s NAME` for every scenario, exactly as a user types it
# The sessions are noxfile.py's (nox -l); each makes its own environment under .nox/.
# Ends with what ran, the counts and each stage's wall time. Logs: tests/output/logs/.
#
#   tests/run.sh                   everything
#   tests/run.sh lint units        only these stages (setup always runs)
#   MOLECULE_SCENARIOS="default"   restrict the molecule stage
#   MOLECULE_BACKGROUND=""         no scenario in the background (default: multi_host)
#   MLOPS_IT_JOBS=1                integration targets one at a time (default: 2 at once)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
repo=$PWD
logs=$repo/tests/output/logs
results=$repo/tests/output/results
mkdir -p "$logs"
# One run at a time: the stages share the integration services and the molecule instances.
exec 8> "$repo/tests/output/run.lock"
flock -n 8 || { echo "tests/run.sh: another run is in progress in this checkout; waiting" >&2; flock 8; }
# What `. .venv/bin/activate` gives a user: nox, molecule and ansible from .venv.
export PATH=$repo/.venv/bin:$PATH VIRTUAL_ENV=$repo/.venv
export ANSIBLE_FORCE_COLOR=false PY_COLORS=0 NO_COLOR=1

all_stages=(setup lint sanity units integration collection molecule)
if [ $# -gt 0 ]; then stages=(setup "$@"); else stages=("${all_stages[@]}"); fi
for stage in "${stages[@]}"; do
  case " ${all_stages[*]} " in *" $stage "*) ;; *) echo "unknown stage $stage (stages: ${all_stages[*]})" >&2; exit 2 ;; esac
done

summary=()
passed=0
failed=0
started_all=$SECONDS

finish() {
  # A background scenario still running when the run fails: stop it and remove its instances.
  if [ -n "${background_pid:-}" ] && kill -0 "$background_pid" 2> /dev/null; then
    kill -TERM -- "-$background_pid" 2> /dev/null
    wait "$background_pid" 2> /dev/null
    local s
    for s in $background; do
      [ -f "$logs/molecule-$s.result" ] || molecule destroy -s "$s" >> "$logs/molecule-$s.log" 2>&1
    done
  fi
  # The integration services (started for the integration and collection stages).
  [ -f tests/integration/integration_config.yml ] && tests/lab/services.sh down >> "$logs/services.log" 2>&1
  printf '\n==================== summary ====================\n'
  printf '%s\n' "${summary[@]}"
  printf 'total wall time: %ss\n' $((SECONDS - started_all))
  printf '%s passed, %s failed\n' "$passed" "$failed"
  exit "$1"
}

# stage NAME RC SECONDS P F DETAIL: one summary line; a failed stage ends the run.
stage() {
  local name=$1 rc=$2 took=$3 p=$4 f=$5 detail=$6
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$rc" -eq 0 ]; then
    summary+=("$(printf '%-12s %-6s %5ss  %s' "$name" ok "$took" "$detail")")
    return 0
  fi
  # A stage that failed without counting a failure still counts one.
  [ "$f" -gt 0 ] || failed=$((failed + 1))
  summary+=("$(printf '%-12s %-6s %5ss  %s' "$name" FAILED "$took" "$detail (exit $rc; logs in tests/output/logs)")")
  finish 1
}

# nox_stage NAME NOX-ARGS...: the sessions' output goes to tests/output/logs/NAME.log; counts
# and details come from nox's report and the result line each of our sessions leaves
# (noxfile.py: record); a session that leaves none counts as one check.
nox_stage() {
  local name=$1 t0=$SECONDS rc counts
  shift
  printf '\n==> %s: nox %s\n' "$name" "$*"
  rm -rf "$results"
  nox --no-color --report "$logs/$name.json" "$@" > "$logs/$name.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || tail -60 "$logs/$name.log"
  counts=$(python - "$logs/$name.json" "$results" <<'EOF'
import json
import sys
from pathlib import Path

report, results = sys.argv[1], Path(sys.argv[2])
passed = failed = 0
details = []
try:
    sessions = json.loads(Path(report).read_text())["sessions"]
except (OSError, ValueError, KeyError):
    sessions = []
for session in sessions:
    line = results / f"{session['name']}.txt"
    if line.is_file():
        p, f, detail = line.read_text().strip().split(" ", 2)
        passed, failed = passed + int(p), failed + int(f)
        details.append(f"{session['name']}: {detail}")
    elif session["result"] == "success":
        passed += 1
        details.append(f"{session['name']} ok")
    elif session["result"] == "failed":
        failed += 1
        details.append(f"{session['name']} FAILED")
print(passed, failed, "; ".join(details) or "no session ran")
EOF
)
  local p f detail
  read -r p f detail <<< "$counts"
  stage "$name" "$rc" $((SECONDS - t0)) "$p" "$f" "$detail"
}

stage_setup() {
  local t0=$SECONDS rc=0
  printf '\n==> setup: scripts/bootstrap.sh test, tests/lab/build.sh\n'
  scripts/bootstrap.sh test > "$logs/bootstrap.log" 2>&1 || { tail -30 "$logs/bootstrap.log"; rc=1; }
  # ansible-test's sanity test of shell scripts needs the shellcheck tool.
  if [ "$rc" -eq 0 ] && ! command -v shellcheck > /dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } > "$logs/apt-shellcheck.log" 2>&1 \
      || { tail -20 "$logs/apt-shellcheck.log"; rc=1; }
  fi
  if [ "$rc" -eq 0 ]; then
    # 8>&-: an engine that build.sh starts must not inherit the run lock.
    tests/lab/build.sh 2>&1 8>&- | tee "$logs/lab-build.log"
    rc=${PIPESTATUS[0]}
  fi
  stage setup "$rc" $((SECONDS - t0)) 0 0 "toolchain in .venv; $(tail -1 "$logs/lab-build.log" 2> /dev/null)"
}

# Scenarios are the folders with a molecule.yml (molecule/resources holds what they share).
scenarios=${MOLECULE_SCENARIOS:-$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort | tr '\n' ' ')}
# Scenarios that start right after setup, one after the other, beside the other stages: molecule
# mostly waits (apt inside the hosts, image loads, servers starting), so the longest scenario
# overlaps lint, sanity, units, integration, collection and the other scenarios
# (docs/development.md, "Test runner"). MOLECULE_BACKGROUND="" runs every scenario in order.
background=${MOLECULE_BACKGROUND-multi_host}
background_pid=""

# molecule_scenario NAME: `molecule test -s NAME` as a user types it; "RC SECONDS" in
# tests/output/logs/molecule-NAME.result.
molecule_scenario() {
  local t0=$SECONDS rc
  # Molecule installs the collection under $ANSIBLE_HOME/collections: one of this checkout's own,
  # so another checkout's copy (or a stale one in ~/.ansible) plays no part.
  ANSIBLE_HOME=$repo/tests/output/ansible-home molecule test -s "$1" > "$logs/molecule-$1.log" 2>&1
  rc=$?
  echo "$rc $((SECONDS - t0))" > "$logs/molecule-$1.result"
  return "$rc"
}

start_background() {
  local s lane=()
  for s in $background; do
    case " $scenarios " in *" $s "*) lane+=("$s") ;; esac
  done
  [ ${#lane[@]} -gt 0 ] || return 0
  printf '\n==> molecule (in the background): %s\n' "${lane[*]}"
  rm -f "${lane[@]/#/$logs/molecule-}"
  # Its own process group, so that a failed run can stop it (finish).
  export -f molecule_scenario
  export logs repo
  # shellcheck disable=SC2016 # expanded by the lane's own bash
  setsid bash -c 'for s in "$@"; do molecule_scenario "$s" || exit 1; done' lane "${lane[@]}" &
  background_pid=$!
}

# A background scenario that failed ends the run at the next stage boundary.
check_background() {
  local result rc took
  for result in "$logs"/molecule-*.result; do
    [ -f "$result" ] || continue
    read -r rc took < "$result"
    if [ "$rc" -ne 0 ]; then
      tail -60 "${result%.result}.log"
      summary+=("$(printf '%-12s %-6s %5ss  %s' molecule FAILED "$took" \
        "$(basename "${result%.result}") (in the background; exit $rc; logs in tests/output/logs)")")
      failed=$((failed + 1))
      finish 1
    fi
  done
}

stage_molecule() {
  local t0=$SECONDS s ok=0 took=() rc=0 result r secs
  for s in $scenarios; do
    case " $background " in *" $s "*) [ -n "$background_pid" ] && continue ;; esac
    printf '\n==> molecule test -s %s\n' "$s"
    molecule_scenario "$s" || { rc=$?; tail -60 "$logs/molecule-$s.log"; break; }
    check_background
  done
  if [ -n "$background_pid" ] && [ "$rc" -eq 0 ]; then
    printf '\n==> waiting for the background scenarios: %s\n' "$background"
    wait "$background_pid"
    background_pid=""
    check_background
  fi
  for s in $scenarios; do
    result=$logs/molecule-$s.result
    [ -f "$result" ] || continue
    read -r r secs < "$result"
    local idem=""
    grep -qE 'idempotence: Executed: Successful|Idempotence completed successfully' "$logs/molecule-$s.log" && idem=", idempotence changed=0"
    if [ "$r" -eq 0 ]; then ok=$((ok + 1)); took+=("$s ${secs}s$idem"); else took+=("$s ${secs}s FAILED"); fi
  done
  local listed
  listed=$(printf '%s; ' "${took[@]}")
  stage molecule "$rc" $((SECONDS - t0)) "$ok" 0 \
    "scenarios (each its whole test sequence, idempotence included): ${listed%; }${background:+; in the background from the end of setup: $background}"
}

rm -f "$logs"/molecule-*.result
for stage_name in "${stages[@]}"; do
  case $stage_name in
    setup)
      stage_setup
      # Work that waits more than it computes starts now, beside the stages that compute.
      case " ${stages[*]} " in *" integration "* | *" collection "*)
        tests/lab/services.sh ensure > "$logs/services.log" 2>&1 &
        services_pid=$! ;;
      esac
      case " ${stages[*]} " in *" molecule "*) start_background ;; esac
      ;;
    # ansible-lint puts $ANSIBLE_HOME/collections first: an empty one, so it resolves this
    # checkout's collection and not a copy molecule installed.
    lint) ANSIBLE_HOME=$repo/tests/output/lint-ansible-home nox_stage lint -s codeqa yamllint antsibull-nox-config ansible-lint ;;
    sanity) nox_stage sanity -t sanity ;;
    units) nox_stage units -s units ;;
    integration) wait "${services_pid:-}" 2> /dev/null; nox_stage integration -s integration ;;
    collection) wait "${services_pid:-}" 2> /dev/null; nox_stage collection -s collection ;;
    molecule) stage_molecule ;;
  esac
  check_background
done
finish 0
