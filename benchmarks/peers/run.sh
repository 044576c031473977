#!/usr/bin/env bash
# Durable-step benchmark, ours and the peers back to back on this machine, then the ratios.
#   benchmarks/peers/run.sh [SECONDS]   (default 8 s per measurement)
# Ours: `soma` runner load driver (SQLite FULL/NORMAL, PostgreSQL). Peers: Microsoft Agent Framework workflows with
# FileSystemJsonCheckpointStore and in memory (NuGet Microsoft.Agents.AI.Workflows), LangGraph.js with its SQLite saver.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> ours" >&2
dotnet run -c Release --project ../Soma.Benchmarks -- runner "$seconds" | tee "$work/ours.md" >&2

echo "==> Microsoft Agent Framework" >&2
dotnet run -c Release --project maf -- "$seconds" "$work" | tee "$work/maf.jsonl" >&2

echo "==> LangGraph.js" >&2
(cd langgraph && npm ci --no-audit --no-fund --silent \
  && (npm install-scripts approve better-sqlite3 >/dev/null 2>&1 || true) && npm rebuild better-sqlite3 --silent)
node langgraph/bench.mjs "$seconds" "$work" | tee "$work/langgraph.jsonl" >&2

python3 - "$work" <<'PY'
import json, sys, re
work = sys.argv[1]
ours = {}
for line in open(f"{work}/ours.md"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) >= 3 and re.fullmatch(r"\d+", cells[2]):
        ours[(cells[0], cells[1])] = float(cells[2])
peers = [json.loads(l) for f in ("maf.jsonl", "langgraph.jsonl") for l in open(f"{work}/{f}") if l.startswith("{")]
print("| mode | peer | peer steps/s | ours (SQLite FULL) steps/s | ratio |")
print("|---|---|---:|---:|---:|")
for p in peers:
    mine = ours.get(("SQLite FULL", p["mode"]))
    print(f"| {p['mode']} | {p['peer']} | {p['steps_per_second']:.0f} | {mine:.0f} | {mine / p['steps_per_second']:.2f}x |")
PY
