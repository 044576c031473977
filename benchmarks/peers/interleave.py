# Runs ours and every peer in alternating short slices over the same minutes and prints medians and ratios: the disk's
# fsync rate drifts minute to minute, so measurements taken one after another would compare different disks.
# Each round: a fsync sample, ours (`soma` benchmark `runner --slices`, a warm process measuring one round per line),
# then a single and a concurrent slice of every peer, each a warm process speaking the slice protocol of slices.mjs.
# Each ratio is taken within one round, then the median of the rounds is printed.
# Usage (run.sh does the setup): python3 interleave.py SECONDS WORK POSTGRES_URL RESTATE_ADMIN RESTATE_INGRESS
import json, re, statistics, subprocess, sys

ROUNDS = 3
seconds, work, postgres, admin, ingress = float(sys.argv[1]), *sys.argv[2:6]
# Each measurement takes SECONDS in all, split over the rounds.
slice_seconds = round(seconds / ROUNDS, 2)
drivers = {
    "MAF, file store": ["dotnet", f"{work}/maf/Maf.Peer.dll", "file", work],
    "MAF, in memory": ["dotnet", f"{work}/maf/Maf.Peer.dll", "memory"],
    "LangGraph.js": ["node", "langgraph/bench.mjs", work],
    # --no-deprecation: node-postgres warns about DBOS's own query pipelining, once per process.
    "DBOS": ["node", "--no-deprecation", "dbos/bench.mjs", postgres],
    "Restate": ["node", "restate/bench.mjs", admin, ingress],
}
processes = {}


def ask(name, command):
    process = processes[name]
    try:
        process.stdin.write(command + "\n")
        process.stdin.flush()
    except BrokenPipeError:
        pass  # it has exited: said below
    line = process.stdout.readline()
    if not line:
        sys.exit(f"{name} exited (code {process.wait()}) on '{command}'")
    print(line.strip(), file=sys.stderr)
    return json.loads(line)


def ours():
    # The table's rows of one round, up to the line `end`.
    process = processes["ours"]
    process.stdin.write(f"round {slice_seconds}\n")
    process.stdin.flush()
    rows = {}
    while (line := process.stdout.readline()).strip() != "end":
        if not line:
            sys.exit(f"ours exited (code {process.wait()}) during a round")
        print(line, end="", file=sys.stderr)
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"\d+", cells[2]):
            rows[(cells[0], cells[1])] = float(cells[2])
    return rows


try:
    # One at a time, so that no start-up or warm-up (JIT, connection pools) overlaps another's measurement.
    processes["fsync"] = subprocess.Popen(["python3", "fsync.py", work], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # Ours stays up like the peers, its stores open and warmed up once (`runner --slices`); its stderr passes through.
    processes["ours"] = subprocess.Popen(
        ["dotnet", "run", "--no-build", "-c", "Release", "--project", "../Soma.Benchmarks", "--", "runner", "--slices"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if processes["ours"].stdout.readline().strip() != "ready":
        sys.exit(f"ours exited (code {processes['ours'].wait()}) before it was ready")
    for name, argv in drivers.items():
        processes[name] = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ask(name, "single 1")
        ask(name, "concurrent 1")
        if name == "DBOS":
            # As ours does after its warm-up: the planner statistics a database has after a minute of autovacuum.
            subprocess.run(["psql", "-q", "-d", postgres, "-c", "ANALYZE"], check=True)

    fsync, mine, peers = [], [], {}
    for r in range(ROUNDS):
        print(f"==> round {r + 1} of {ROUNDS}, {slice_seconds} s slices", file=sys.stderr)
        fsync.append(ask("fsync", "fsync 2")["commits_per_second"])
        mine.append(ours())
        for name in drivers:
            for mode in ("single", "concurrent"):
                p = ask(name, f"{mode} {slice_seconds}")
                peers.setdefault((p["peer"], p["mode"]), []).append((r, p["steps_per_second"]))
finally:
    for process in processes.values():
        process.stdin.close()
    for process in processes.values():
        process.wait(timeout=60)


def spread(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


print(f"Medians of {ROUNDS} rounds of {slice_seconds} s slices (min–max); each ratio is ours / peer within one round.\n")
print("| engine | mode | ours steps/s |")
print("|---|---|---:|")
for key in mine[0]:
    print(f"| {key[0]} | {key[1]} | {spread([m[key] for m in mine])} |")
print("\n| mode | peer | peer steps/s | ratio, ours on SQLite FULL | ratio, ours on PostgreSQL | ratio, ours batched (SQLite FULL) |")
print("|---|---|---:|---:|---:|---:|")
for (peer, mode), samples in peers.items():
    full = statistics.median(mine[r][("SQLite FULL", mode)] / s for r, s in samples)
    on_postgres = statistics.median(mine[r][("PostgreSQL", mode)] / s for r, s in samples)
    batched = statistics.median(mine[r][("SQLite FULL batched", mode)] / s for r, s in samples)
    print(f"| {mode} | {peer} | {spread([s for _, s in samples])} | {full:.2f}x | {on_postgres:.2f}x | {batched:.2f}x |")
print(f"\nThe machine's fsynced commits/s (SQLite WAL FULL, one insert each), one 2 s sample per round: {spread(fsync)}.")
# Other work on the machine moves every figure: say how much there was.
print(f"Load average at the end (1, 5, 15 min): {', '.join(open('/proc/loadavg').read().split()[:3])}.")
