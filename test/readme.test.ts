/**
 * The README's TypeScript examples, run as a user would run them: each
 * block is transpiled and executed in a child process that imports the
 * built package by its name (`tcpkit`, `tcpkit/udp`, `tcpkit/socket`); it
 * must exit 0, print what it did, and write nothing to stderr.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { scriptCommand } from "./helpers/runtime.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);

async function examples(file: string): Promise<string[]> {
  const text = await readFile(join(root, file), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

for (const file of ["README.md"]) {
  // Read before describe(): Deno's node:test does not wait for an async describe body.
  const blocks = await examples(file);
  describe(`${file} examples`, () => {
    it("has examples", () => assert.ok(blocks.length > 0));
    blocks.forEach((source, index) => {
      it(`example ${index + 1} runs and exits 0`, async () => {
        const js = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        // Inside the package, so `import "tcpkit"` resolves to this package's own exports.
        const dir = join(root, "dist", "readme-examples");
        await mkdir(dir, { recursive: true });
        const path = join(dir, `${file.replace(/\W/g, "_")}-${index + 1}.mjs`);
        await writeFile(path, js);
        try {
          const { stdout, stderr } = await run(...scriptCommand(path), { timeout: 20_000 });
          assert.equal(stderr, "");
          assert.ok(stdout.length > 0, "the example prints what it did");
        } finally {
          await rm(path, { force: true });
        }
      });
    });
  });
}
