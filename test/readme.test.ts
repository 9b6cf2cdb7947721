/**
 * The TypeScript examples of the README and of every page in docs/, run as a
 * user would run them: each block is transpiled and executed in a child
 * process that imports the built package by its name (`tcpkit`,
 * `tcpkit/udp`, `tcpkit/socket`); it must exit 0, print what it did, and
 * write nothing to stderr. Examples that run `openssl` skip without it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { requireTool } from "./helpers/tools.js";
import { scriptCommand } from "./helpers/runtime.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);

async function examples(file: string): Promise<string[]> {
  const text = await readFile(join(root, file), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The README, then every page of docs/ (not the generated docs/api/). */
const pages = ["README.md", ...(await readdir(join(root, "docs"))).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)];

/** Pages with no TypeScript example: every other page must keep at least one. */
const PAGES_WITHOUT_EXAMPLES = new Set(["docs/README.md", "docs/cli.md", "docs/ballerina-deviations.md", "docs/performance.md", "docs/development.md", "docs/architecture.md", "docs/runtimes.md"]);

/** Checks a page's relative links: every linked file exists (anchors are not checked). */
async function brokenLinks(file: string): Promise<string[]> {
  const text = await readFile(join(root, file), "utf8");
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue; // http:, https:, mailto:
    try {
      await readFile(join(root, dirname(file), target!));
    } catch {
      try {
        await readdir(join(root, dirname(file), target!));
      } catch {
        broken.push(target!);
      }
    }
  }
  return broken;
}

for (const file of pages) {
  // Read before describe(): Deno's node:test does not wait for an async describe body.
  const blocks = await examples(file);
  describe(`${file} examples`, () => {
    if (!PAGES_WITHOUT_EXAMPLES.has(file)) it("has examples", () => assert.ok(blocks.length > 0));
    it("links only to files that exist", async () => assert.deepEqual(await brokenLinks(file), []));
    blocks.forEach((source, index) => {
      const skip = source.includes('"openssl"') ? requireTool("openssl") : false;
      it(`example ${index + 1} runs and exits 0`, { skip }, async () => {
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
