/**
 * The examples in docs/udp.md and docs/socket.md run: every ```ts block is
 * transpiled, written into the package (so `tcpkit/udp` and `tcpkit/socket`
 * resolve through package.json `exports`) and run with node; it must exit 0
 * with nothing on stderr.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

for (const doc of ["udp.md", "socket.md"]) {
  describe(`docs/${doc} examples`, async () => {
    const blocks = tsBlocks(await readFile(path.join(root, "docs", doc), "utf8"));
    it("has examples", () => assert.ok(blocks.length >= 2));
    blocks.forEach((code, index) => {
      it(`example ${index + 1} runs`, async () => {
        const dir = path.join(root, "dist", "docs-examples");
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, `${doc.replace(".md", "")}-${index + 1}.mjs`);
        const js = ts.transpileModule(code, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        await writeFile(file, js);
        try {
          const { stdout, stderr } = await run(process.execPath, [file], { timeout: 20_000 });
          assert.equal(stderr, "");
          assert.ok(stdout.length > 0, "the example prints what it did");
        } finally {
          await rm(file, { force: true });
        }
      });
    });
  });
}
