// Restate peer of `soma` benchmark `runner`: a service handler of 10 trivial `ctx.run` steps (each journaled by
// restate-server, which fdatasyncs its log, before the next starts), invoked through the ingress over HTTP.
// The server is started by run.sh; this process serves the handler, registers it with the server's admin API and
// drives the ingress. Usage: node bench.mjs ADMIN_URL INGRESS_URL, then slices on stdin (../slices.mjs).
import { STEPS, serveSlices } from "../slices.mjs";

// SDK 1.17 uses Promise.withResolvers, which Node 20 lacks.
Promise.withResolvers ??= () => {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
// The SDK is imported after the polyfill, hence dynamically. Its per-invocation INFO lines would go to stdout, where
// the figures go; the other peers log nothing per run either.
process.env.RESTATE_LOGGING ??= "WARN";
const restate = await import("@restatedev/restate-sdk");

const [admin, ingress] = process.argv.slice(2);
if (!admin || !ingress) throw new Error("usage: node bench.mjs ADMIN_URL INGRESS_URL");

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
  body: JSON.stringify({ uri: `http://127.0.0.1:${port}` }),
});
if (!registered.ok) throw new Error(`registering the deployment: ${registered.status} ${await registered.text()}`);

await serveSlices("Restate", async () => {
  const response = await fetch(`${ingress}/bench/linear`, { method: "POST" });
  const n = response.ok ? await response.json() : await response.text();
  if (n !== STEPS) throw new Error(`expected ${STEPS}, got ${response.status} ${n}`);
});
// The handler's HTTP/2 server would keep the process alive.
process.exit(0);
