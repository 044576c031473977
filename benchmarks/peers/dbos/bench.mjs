// DBOS Transact peer of `soma` benchmark `runner`: a 10-step linear workflow of trivial steps, each a DBOS step (its
// output recorded in the PostgreSQL system database before the next starts). Usage: node bench.mjs POSTGRES_URL, then
// slices on stdin (../slices.mjs), e.g. `printf 'single 8\nconcurrent 8\n' | node bench.mjs postgresql://...`.
import { DBOS } from "@dbos-inc/dbos-sdk";
import { STEPS, serveSlices } from "../slices.mjs";

const url = process.argv[2];
if (!url) throw new Error("usage: node bench.mjs POSTGRES_URL");

const linear = DBOS.registerWorkflow(async () => {
  let n = 0;
  for (let i = 0; i < STEPS; i++) n = await DBOS.runStep(async () => n + 1, { name: `s${i}` });
  return n;
}, { name: "linear" });

// Pool of 64 as ours on PostgreSQL: 32 concurrent runs never wait for a connection.
DBOS.setConfig({ name: "soma-peer", systemDatabaseUrl: url, systemDatabasePoolSize: 64, logLevel: "warn" });
await DBOS.launch();
try {
  await serveSlices("DBOS Transact (PostgreSQL)", async () => {
    const n = await linear();
    if (n !== STEPS) throw new Error(`expected ${STEPS}, got ${n}`);
  });
} finally {
  await DBOS.shutdown();
}
