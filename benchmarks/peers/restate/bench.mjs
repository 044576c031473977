// Restate peer of `soma` benchmark `runner`: a service handler of 10 trivial `ctx.run` steps (each journaled by
// restate-server, which fdatasyncs its log, before the next starts), invoked through the ingress over HTTP, single run
// in a loop and 32 concurrent runs. The server is started by run.sh; this process serves the handler, registers it
// with the server's admin API and drives the ingress. Usage: node bench.mjs SECONDS ADMIN_URL INGRESS_URL
// → JSON lines {peer, mode, steps_per_second}.

// SDK 1.17 uses Promise.withResolvers, which Node 20 lacks.
Promise.withResolvers ??= () => {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
// Its per-invocation INFO lines go to stdout, where the figures go; the other peers log nothing per run either.
process.env.RESTATE_LOGGING ??= "WARN";
const restate = await import("@restatedev/restate-sdk");

const seconds = Number(process.argv[2] ?? 8);
const [admin, ingress] = process.argv.slice(3);
if (!admin || !ingress) throw new Error("usage: node bench.mjs SECONDS ADMIN_URL INGRESS_URL");
const STEPS = 10;

const bench = restate.service({
  name: "bench",
  handlers: {
    linear: async (ctx) => {
      let n = 0;
      for (let i = 0; i < STEPS; i++) n = await ctx.run(`s${i}`, async () => n + 1);
      return n;
    },
  },
});
const port = await restate.serve({ services: [bench], port: 0 });

const registered = await fetch(`${admin}/deployments`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ uri: `http://127.0.0.1:${port}`, force: true }),
});
if (!registered.ok) throw new Error(`registering the deployment: ${registered.status} ${await registered.text()}`);

async function one() {
  const response = await fetch(`${ingress}/bench/linear`, { method: "POST" });
  const n = response.ok ? await response.json() : await response.text();
  if (n !== STEPS) throw new Error(`expected ${STEPS}, got ${response.status} ${n}`);
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

await measure(1, 1000);
for (const [mode, concurrency] of [["single run in a loop", 1], ["32 concurrent runs", 32]]) {
  const stepsPerSecond = await measure(concurrency, seconds * 1000);
  console.log(JSON.stringify({ peer: "Restate", mode, steps_per_second: Math.round(stepsPerSecond) }));
}
process.exit(0);
