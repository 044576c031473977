#!/usr/bin/env bash
# Durable-step benchmark, ours and the peers back to back on this machine, then the ratios.
#   benchmarks/peers/run.sh [SECONDS]   (default 8 s per measurement)
# Ours: `soma` runner load driver (SQLite FULL/NORMAL, PostgreSQL). Peers: Microsoft Agent Framework workflows with
# FileSystemJsonCheckpointStore and in memory (NuGet Microsoft.Agents.AI.Workflows), LangGraph.js with its SQLite saver,
# DBOS Transact on a PostgreSQL started here, Restate on a restate-server started here. Before and after, the machine's
# fsynced-commit rate (fsync.py).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-8}
work=$(mktemp -d)
pg=$work/pg

cleanup() {
  if [[ -f $pg/data/postmaster.pid ]]; then
    as_postgres "$pgbin/pg_ctl" -D "$pg/data" -m immediate -w stop >/dev/null || true
  fi
  if [[ -n ${restate_pid:-} ]]; then
    kill "$restate_pid" 2>/dev/null && wait "$restate_pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root: as root (CI) the server runs as Debian's `postgres` user.
as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- env LC_ALL=C.UTF-8 "$@"; else env LC_ALL=C.UTF-8 "$@"; fi
}

# A real bin directory has initdb, pg_ctl and postgres together (Debian's /usr/bin/pg_ctl is a wrapper without them).
pgbin=
for dir in ${PATH//:/ } $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
  if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then pgbin=$dir; break; fi
done
[[ -n $pgbin ]] || { echo "PostgreSQL binaries not found: install the Debian package 'postgresql'" >&2; exit 1; }

python3 fsync.py 2 "$work" | tee "$work/fsync-before.jsonl" >&2

echo "==> ours" >&2
dotnet run -c Release --project ../Soma.Benchmarks -- runner "$seconds" | tee "$work/ours.md" >&2

echo "==> Microsoft Agent Framework" >&2
dotnet run -c Release --project maf -- "$seconds" "$work" | tee "$work/maf.jsonl" >&2

echo "==> LangGraph.js" >&2
(cd langgraph && npm ci --no-audit --no-fund --silent \
  && (npm install-scripts approve better-sqlite3 >/dev/null 2>&1 || true) && npm rebuild better-sqlite3 --silent)
node langgraph/bench.mjs "$seconds" "$work" | tee "$work/langgraph.jsonl" >&2

echo "==> DBOS Transact" >&2
# The same server settings as ours on PostgreSQL (Soma.Testing's PostgresServer): fsync on, synchronous_commit default.
mkdir -p "$pg" && chmod 755 "$work" && { [[ $(id -u) != 0 ]] || chown postgres: "$pg"; }
as_postgres "$pgbin/initdb" -D "$pg/data" -U soma -A trust -E UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
pgport=$(free_port)
as_postgres "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -c unix_socket_directories=$pg -c fsync=on -c max_connections=200 -c shared_buffers=32MB" \
  start >/dev/null || { cat "$pg/log" >&2; exit 1; }
(cd dbos && npm ci --no-audit --no-fund --silent)
# --no-deprecation: node-postgres warns about DBOS's own query pipelining, once per run.
node --no-deprecation dbos/bench.mjs "$seconds" "postgresql://soma@127.0.0.1:$pgport/dbos_bench" | tee "$work/dbos.jsonl" >&2

echo "==> Restate" >&2
(cd restate && npm ci --no-audit --no-fund --silent)
# The platform binary itself, not npm's wrapper script, so that the trap's kill reaches the server. Default durability
# (a local log that fdatasyncs); telemetry off, as the machine has no network beyond the package registries.
restate_bin=$(cd restate && node -p 'require.resolve(`@restatedev/restate-server-${process.platform}-${process.arch}/bin/restate-server`)')
admin_port=$(free_port) ingress_port=$(free_port) node_port=$(free_port)
mkdir -p "$work/restate"
cat > "$work/restate/config.toml" <<TOML
cluster-name = "soma-bench"
disable-telemetry = true
log-disable-ansi-codes = true
bind-address = "127.0.0.1:$node_port"
advertised-address = "http://127.0.0.1:$node_port/"

[admin]
bind-address = "127.0.0.1:$admin_port"

[ingress]
bind-address = "127.0.0.1:$ingress_port"
TOML
"$restate_bin" --config-file "$work/restate/config.toml" --base-dir "$work/restate/data" --listen-mode tcp --no-logo \
  >"$work/restate/log" 2>&1 &
restate_pid=$!
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$ingress_port/restate/health" >/dev/null && break
  kill -0 "$restate_pid" 2>/dev/null || { cat "$work/restate/log" >&2; exit 1; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$ingress_port/restate/health" >/dev/null || { echo "restate-server did not start" >&2; cat "$work/restate/log" >&2; exit 1; }
node restate/bench.mjs "$seconds" "http://127.0.0.1:$admin_port" "http://127.0.0.1:$ingress_port" | tee "$work/restate.jsonl" >&2

python3 fsync.py 2 "$work" | tee "$work/fsync-after.jsonl" >&2

python3 - "$work" <<'PY'
import json, sys, re
work = sys.argv[1]
ours = {}
for line in open(f"{work}/ours.md"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) >= 3 and re.fullmatch(r"\d+", cells[2]):
        ours[(cells[0], cells[1])] = float(cells[2])
peers = [json.loads(l) for f in ("maf.jsonl", "langgraph.jsonl", "dbos.jsonl", "restate.jsonl") for l in open(f"{work}/{f}") if l.startswith("{")]
print("| mode | peer | peer steps/s | ours (SQLite FULL) steps/s | ratio | ours (PostgreSQL) steps/s | ratio |")
print("|---|---|---:|---:|---:|---:|---:|")
for p in peers:
    full, postgres = ours[("SQLite FULL", p["mode"])], ours[("PostgreSQL", p["mode"])]
    peer = p["steps_per_second"]
    print(f"| {p['mode']} | {p['peer']} | {peer:.0f} | {full:.0f} | {full / peer:.2f}x | {postgres:.0f} | {postgres / peer:.2f}x |")
fsync = [json.loads(open(f"{work}/fsync-{when}.jsonl").read())["commits_per_second"] for when in ("before", "after")]
print(f"\nThe machine's fsynced commits/s (SQLite WAL FULL, one insert each): {fsync[0]} before, {fsync[1]} after.")
PY
