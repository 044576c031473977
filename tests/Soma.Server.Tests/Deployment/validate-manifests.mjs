// Validates Kubernetes objects against the schemas of kubernetes-models and @kubernetes-models/prometheus-operator.
// Usage: node validate-manifests.mjs <node_modules folder> <objects.json (an array)>
// Prints one line per object ("ok Kind/name" or "invalid Kind/name: errors"); exits 1 when any object is invalid or of
// a kind without a model (an unknown kind is a failure, never skipped).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, file] = process.argv.slice(2);
if (!nodeModules || !file) {
  console.error("usage: node validate-manifests.mjs <node_modules> <objects.json>");
  process.exit(2);
}

const objects = JSON.parse(readFileSync(file, "utf8"));
let failed = 0;

// The model's module by file (the packages' export maps differ: one is CommonJS with .mjs twins, one ESM only).
async function modelOf(apiVersion, kind) {
  if (!/^[A-Za-z0-9.]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  const file = apiVersion.startsWith("monitoring.coreos.com/")
    ? join(nodeModules, "@kubernetes-models", "prometheus-operator", apiVersion, `${kind}.js`)
    : join(nodeModules, "kubernetes-models", apiVersion, `${kind}.mjs`);
  if (!existsSync(file)) return undefined;
  const module = await import(pathToFileURL(file).href);
  return module[kind];
}

for (const object of objects) {
  const name = `${object?.kind}/${object?.metadata?.name} (${object?.apiVersion})`;
  if (!object || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    console.log(`invalid ${name}: no apiVersion or kind`);
    failed++;
    continue;
  }

  const Model = await modelOf(object.apiVersion, object.kind);
  if (!Model) {
    console.log(`unknown ${name}: no schema for this apiVersion and kind`);
    failed++;
    continue;
  }

  try {
    new Model(object).validate();
    console.log(`ok ${name}`);
  } catch (e) {
    const details = e.errors ? JSON.stringify(e.errors) : e.message;
    console.log(`invalid ${name}: ${details}`);
    failed++;
  }
}

process.exit(failed === 0 ? 0 : 1);
