// LangGraph.js peer of `soma` benchmark `runner`: a 10-step linear graph of trivial steps, checkpointed by the
// SQLite saver (a file, so every step is persisted). Usage: node bench.mjs DIR, then slices on stdin (../slices.mjs),
// e.g. `printf 'single 8\nconcurrent 8\n' | node bench.mjs /tmp`.
import { StateGraph, Annotation, START, END } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { STEPS, serveSlices } from "../slices.mjs";

const dir = process.argv[2] ?? ".";
const State = Annotation.Root({ n: Annotation({ reducer: (_, b) => b, default: () => 0 }) });
let graph = new StateGraph(State);
for (let i = 0; i < STEPS; i++) graph = graph.addNode(`s${i}`, async (s) => ({ n: s.n + 1 }));
graph = graph.addEdge(START, "s0");
for (let i = 1; i < STEPS; i++) graph = graph.addEdge(`s${i - 1}`, `s${i}`);
graph = graph.addEdge(`s${STEPS - 1}`, END);
const saver = SqliteSaver.fromConnString(path.join(dir, "langgraph.db"));
const app = graph.compile({ checkpointer: saver });

await serveSlices("LangGraph.js + SqliteSaver", async () => {
  const out = await app.invoke({ n: 0 }, { configurable: { thread_id: randomUUID() } });
  if (out.n !== STEPS) throw new Error(`expected ${STEPS}, got ${out.n}`);
});
