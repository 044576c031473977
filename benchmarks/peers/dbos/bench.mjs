// DBOS Transact peer of `soma` benchmark `runner`: a 10-step linear workflow of trivial steps, each a DBOS step (its
// output recorded in the PostgreSQL system database before the next starts), single run in a loop and 32 concurrent
// runs. Usage: node bench.mjs SECONDS POSTGRES_URL → JSON lines {peer, mode, steps_per_second}.
import { DBOS } from "@dbos-inc/dbos-sdk";

const seconds = Number(process.argv[2] ?? 8);
const url = process.argv[3];
if (!url) throw new Error("usage: node bench.mjs SECONDS POSTGRES_URL");
const STEPS = 10;

const linear = DBOS.registerWorkflow(async () => {
  let n = 0;
  for (let i = 0; i < STEPS; i++) n = await DBOS.runStep(async () => n + 1, { name: `s${i}` });
  return n;
}, { name: "linear" });

// Pool of 64 as ours on PostgreSQL: 32 concurrent runs never wait for a connection.
DBOS.setConfig({ name: "soma-peer", systemDatabaseUrl: url, systemDatabasePoolSize: 64, logLevel: "warn" });
await DBOS.launch();

async function one() {
  const n = await linear();
  if (n !== STEPS) throw new Error(`expected ${STEPS}, got ${n}`);
}

async function measure(concurrency, ms) {
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < ms) {
    await Promise.all(Array.from({ length: concurrency }, one));
    runs += concurrency;
  }
  return (runs * STEPS) / ((performance.now() - start) / 1000);
}

try {
  await measure(1, 1000);
  for (const [mode, concurrency] of [["single run in a loop", 1], ["32 concurrent runs", 32]]) {
    const stepsPerSecond = await measure(concurrency, seconds * 1000);
    console.log(JSON.stringify({ peer: "DBOS Transact (PostgreSQL)", mode, steps_per_second: Math.round(stepsPerSecond) }));
  }
} finally {
  await DBOS.shutdown();
}
