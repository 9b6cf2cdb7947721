/**
 * The layering of docs/architecture.md, checked on the source: which folder
 * may import which, no import cycles (type-only imports included), and
 * `tcpkit/udp` never reaching `node:tls`.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

/** Folder → the folders it may import from (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  tls: ["core"],
  proxy: ["core"],
  framing: ["core"],
  udp: ["core"],
  tcp: ["core", "tls", "proxy", "framing"],
  socket: ["core", "tcp", "udp"],
  cluster: ["core", "tcp", "."],
  cli: [".", "udp", "socket", "cluster", "core"],
  ".": ["core", "tcp", "tls", "proxy", "framing"],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

function importsOf(file: string): { relative: string[]; builtins: string[] } {
  const text = fs.readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  const relative = specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, ".ts"));
  return { relative, builtins: specifiers.filter((s) => s.startsWith("node:")) };
}

const folderOf = (file: string): string => {
  const rel = path.relative(srcRoot, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0]! : ".";
};

const files = sourceFiles(srcRoot);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

test("every import stays within the layers of docs/architecture.md", () => {
  const violations: string[] = [];
  for (const [file, { relative }] of graph) {
    const from = folderOf(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed !== undefined, `src/${path.relative(srcRoot, file)} is in a folder the layer table does not list`);
    for (const target of relative) {
      const to = folderOf(target);
      if (to !== from && !allowed.includes(to)) {
        violations.push(`${path.relative(srcRoot, file)} → ${path.relative(srcRoot, target)}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test("no import cycles between source files", () => {
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(srcRoot, f)).join(" → "));
      return;
    }
    state.set(file, "visiting");
    for (const target of graph.get(file)?.relative ?? []) visit(target, [...trail, file]);
    state.set(file, "done");
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("tcpkit/udp never loads node:tls or node:net's TCP side", () => {
  const reached = new Set<string>();
  const walk = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const target of graph.get(file)?.relative ?? []) walk(target);
  };
  walk(path.join(srcRoot, "udp/index.ts"));
  const loadsTls = [...reached].filter((file) => graph.get(file)?.builtins.includes("node:tls"));
  assert.deepEqual(loadsTls.map((f) => path.relative(srcRoot, f)), []);
  assert.ok([...reached].every((file) => !folderOf(file).startsWith("tcp")), "udp reaches src/tcp");
});
