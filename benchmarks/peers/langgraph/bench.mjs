// LangGraph.js peer of `soma` benchmark `runner`: a 10-step linear graph of trivial steps, checkpointed by the
// SQLite saver (a file, so every step is persisted), single run in a loop and 32 concurrent runs.
// Usage: node bench.mjs SECONDS DIR  → prints JSON lines {peer, mode, steps_per_second, runs}.
import { StateGraph, Annotation, START, END } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { randomUUID } from "node:crypto";
import path from "node:path";

const seconds = Number(process.argv[2] ?? 8);
const dir = process.argv[3] ?? ".";
const STEPS = 10;
const State = Annotation.Root({ n: Annotation({ reducer: (_, b) => b, default: () => 0 }) });
let graph = new StateGraph(State);
for (let i = 0; i < STEPS; i++) graph = graph.addNode(`s${i}`, async (s) => ({ n: s.n + 1 }));
graph = graph.addEdge(START, "s0");
for (let i = 1; i < STEPS; i++) graph = graph.addEdge(`s${i - 1}`, `s${i}`);
graph = graph.addEdge(`s${STEPS - 1}`, END);
const saver = SqliteSaver.fromConnString(path.join(dir, "langgraph.db"));
const app = graph.compile({ checkpointer: saver });

async function one() {
  const out = await app.invoke({ n: 0 }, { configurable: { thread_id: randomUUID() } });
  if (out.n !== STEPS) throw new Error(`expected ${STEPS}, got ${out.n}`);
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
  console.log(JSON.stringify({ peer: "LangGraph.js + SqliteSaver", mode, steps_per_second: Math.round(stepsPerSecond) }));
}
