/**
 * The examples in docs/udp.md and docs/socket.md run: every ```js block is
 * written into the package (so `tcpkit/udp` and `tcpkit/socket` resolve
 * through package.json `exports`) and run with node; it must exit 0 with
 * nothing on stderr.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function jsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

for (const doc of ["udp.md", "socket.md"]) {
  describe(`docs/${doc} examples`, async () => {
    const blocks = jsBlocks(await readFile(path.join(root, "docs", doc), "utf8"));
    it("has examples", () => assert.ok(blocks.length >= 2));
    blocks.forEach((code, index) => {
      it(`example ${index + 1} runs`, async () => {
        const dir = path.join(root, "dist", "docs-examples");
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, `${doc.replace(".md", "")}-${index + 1}.mjs`);
        await writeFile(file, code);
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
