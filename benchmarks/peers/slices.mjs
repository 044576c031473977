// The slice protocol every peer driver speaks: each stdin line `single SECONDS` or `concurrent SECONDS` runs the
// workflow that long (one run at a time in a loop, or 32 at once) and answers one JSON line
// {peer, mode, steps_per_second}. A driver stays warm between slices, so interleave.py can alternate short slices of
// every peer over the same minutes while the disk's fsync rate drifts.
import readline from "node:readline";

export const STEPS = 10;
const modes = { single: ["single run in a loop", 1], concurrent: ["32 concurrent runs", 32] };

async function measure(one, concurrency, ms) {
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < ms) {
    await Promise.all(Array.from({ length: concurrency }, one));
    runs += concurrency;
  }
  return (runs * STEPS) / ((performance.now() - start) / 1000);
}

// `one` runs the workflow once and throws unless all STEPS steps ran.
export async function serveSlices(peer, one) {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [name, seconds] = line.trim().split(/\s+/);
    if (!modes[name] || !(Number(seconds) > 0)) throw new Error(`expected "single|concurrent SECONDS", got "${line}"`);
    const [mode, concurrency] = modes[name];
    const stepsPerSecond = await measure(one, concurrency, Number(seconds) * 1000);
    console.log(JSON.stringify({ peer, mode, steps_per_second: Math.round(stepsPerSecond) }));
  }
}
