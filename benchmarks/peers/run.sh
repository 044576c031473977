#!/usr/bin/env bash
# Durable-step benchmark, ours and the peers on this machine, interleaved, then the ratios.
#   benchmarks/peers/run.sh [SECONDS]   (default 8 s per measurement, in three slices: see interleave.py)
# Ours: `soma` runner load driver (SQLite FULL/NORMAL, PostgreSQL, SQLite FULL with batched durability). Peers: Microsoft Agent Framework workflows with
# FileSystemJsonCheckpointStore and in memory (NuGet Microsoft.Agents.AI.Workflows), LangGraph.js with its SQLite saver,
# DBOS Transact on a PostgreSQL started here, Restate on a restate-server started here; and the machine's
# fsynced-commit rate (fsync.py). This script installs, builds and starts what they need; interleave.py measures.
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

echo "==> building ours and MAF, installing the Node peers" >&2
dotnet build -c Release ../Soma.Benchmarks >&2
dotnet build -c Release maf -o "$work/maf" >&2
(cd langgraph && npm ci --no-audit --no-fund --silent \
  && (npm install-scripts approve better-sqlite3 >/dev/null 2>&1 || true) && npm rebuild better-sqlite3 --silent) >&2
(cd dbos && npm ci --no-audit --no-fund --silent) >&2
(cd restate && npm ci --no-audit --no-fund --silent) >&2

echo "==> PostgreSQL for DBOS" >&2
# The same server settings as ours on PostgreSQL (Soma.Testing's PostgresServer): fsync on, synchronous_commit default.
mkdir -p "$pg" && chmod 755 "$work" && { [[ $(id -u) != 0 ]] || chown postgres: "$pg"; }
as_postgres "$pgbin/initdb" -D "$pg/data" -U soma -A trust -E UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
pgport=$(free_port)
as_postgres "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -c unix_socket_directories=$pg -c fsync=on -c max_connections=200 -c shared_buffers=32MB" \
  start >/dev/null || { cat "$pg/log" >&2; exit 1; }

echo "==> restate-server" >&2
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

python3 interleave.py "$seconds" "$work" "postgresql://soma@127.0.0.1:$pgport/dbos_bench" \
  "http://127.0.0.1:$admin_port" "http://127.0.0.1:$ingress_port"
