# The machine's fsynced-commit rate, the floor under every durable peer: single-row inserts into a SQLite file in WAL
# mode with synchronous=FULL (as ours on SQLite FULL), one commit and one fsync each. Usage: python3 fsync.py DIR, then
# one line per sample on stdin, `fsync SECONDS`, each answered with one JSON line {peer, mode, commits_per_second}.
import json, os, sqlite3, sys, time

db = sqlite3.connect(os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "fsync.db"), isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
for line in sys.stdin:
    match line.split():
        case ["fsync", seconds]:
            seconds = float(seconds)
        case _:
            sys.exit(f'expected "fsync SECONDS", got "{line.strip()}"')
    commits, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        db.execute("INSERT INTO t VALUES (?)", (commits,))
        commits += 1
    rate = round(commits / (time.perf_counter() - start))
    print(json.dumps({"peer": "fsynced commits (SQLite WAL FULL)", "mode": "one insert per commit", "commits_per_second": rate}), flush=True)
