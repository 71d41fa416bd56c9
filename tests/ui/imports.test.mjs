// The UI's module graph: no import circles, and only the entry point imports the shell, so each
// screen can be read, tested and changed through the narrow host interface it declares. Type-only
// imports count too: they are what ties a screen to the shell in a reader's head.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { repoRoot } from "./helpers.mjs";

const srcDir = join(repoRoot, "ui/src");

function listModules(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listModules(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, join(base, "index.ts")].find((p) => p.endsWith(".ts") && existsSync(p)) ?? null;
}

/** Module (path relative to ui/src) -> the modules of ui/src it imports, statically or dynamically. */
function importGraph() {
  const graph = new Map();
  for (const file of listModules(srcDir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const deps = [];
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = resolveImport(file, fileName);
      assert.ok(target, `${relative(srcDir, file)} imports "${fileName}", which is not a module of ui/src`);
      deps.push(relative(srcDir, target));
    }
    graph.set(relative(srcDir, file), deps);
  }
  return graph;
}

/** Every import circle, each as the path that closes it (a -> b -> a). */
function findCycles(graph) {
  const cycles = [];
  const state = new Map(); // module -> "open" while on the path, "done" once explored
  const path = [];
  const visit = (m) => {
    state.set(m, "open");
    path.push(m);
    for (const d of graph.get(m) ?? []) {
      if (state.get(d) === "open") cycles.push([...path.slice(path.indexOf(d)), d].join(" -> "));
      else if (!state.has(d)) visit(d);
    }
    path.pop();
    state.set(m, "done");
  };
  for (const m of [...graph.keys()].sort()) if (!state.has(m)) visit(m);
  return cycles;
}

test("the import graph is read from the real sources", () => {
  const graph = importGraph();
  // A parser that found no imports would make the checks below pass on anything.
  assert.deepEqual(graph.get("main.ts"), ["app.ts"]);
  assert.ok(graph.get("app.ts").includes("screens/sessions.ts"));
  assert.ok(graph.get("test/harness.ts").includes("main.ts"), "dynamic imports are part of the graph");
});

test("no module of the UI imports another that imports it back, directly or in a circle", () => {
  assert.deepEqual(findCycles(importGraph()), []);
});

test("only the entry point imports the shell", () => {
  const importers = [...importGraph()].filter(([, deps]) => deps.includes("app.ts")).map(([m]) => m);
  assert.deepEqual(importers, ["main.ts"]);
});

test("the circle check finds a circle", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["a.ts"]],
  ]);
  assert.deepEqual(findCycles(graph), ["a.ts -> b.ts -> c.ts -> a.ts"]);
});
