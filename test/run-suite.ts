/**
 * Runs the compiled suite (dist/test/*.test.js) on Bun or Deno, as
 * `npm test` runs it on Node: one process per file, two files at a time,
 * each file killed when it overruns its time-out.
 *
 *   node dist/test/run-suite.js bun|deno [name-filter...]
 *
 * Bun runs node:test files only inside `bun test`; Deno only inside
 * `deno test` (`--no-check`: the files are already compiled, and type
 * checking each one took about 12 s). Each file writes a JUnit report that
 * gives the counts and the names of the failing tests; a failing file's
 * whole output is printed. Environment: `TCPKIT_BUN` / `TCPKIT_DENO` (the
 * binary; default: the devDependency in node_modules/.bin), `TEST_CONCURRENCY`
 * (default 2), `TEST_FILE_TIMEOUT` (seconds per file, default 240).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

type Runtime = "bun" | "deno";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

interface FileResult {
  readonly file: string;
  readonly passed: number;
  readonly failed: string[];
  readonly skipped: number;
  readonly ms: number;
  readonly output: string;
  readonly problem?: string;
}

function binary(runtime: Runtime): string {
  const fromEnv = process.env[`TCPKIT_${runtime.toUpperCase()}`];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const local = join(root, "node_modules", ".bin", runtime);
  return existsSync(local) ? local : runtime;
}

/** The command for one file; it runs from the package root, as `npm test` does (tests use relative paths). */
function command(runtime: Runtime, file: string, junit: string): string[] {
  const path = `./dist/test/${file}`;
  return runtime === "bun"
    ? // bun test's own per-test time-out (5 s by default) is off: node:test has none, the per-file one applies.
      ["test", "--timeout=600000", "--reporter=junit", `--reporter-outfile=${junit}`, path]
    : ["test", "-A", "--no-check", `--junit-path=${junit}`, path];
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/** Leaf test cases of a JUnit report (Deno also lists each `describe` as a case). */
function parseJunit(xml: string): { passed: number; failed: string[]; skipped: number } {
  const cases = [...xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    name: decode(/\bname="([^"]*)"/.exec(m[1] ?? "")?.[1] ?? "?"),
    body: m[3] ?? "",
  }));
  const names = cases.map((c) => c.name);
  let passed = 0;
  let skipped = 0;
  const failed: string[] = [];
  for (const c of cases) {
    if (names.some((n) => n.startsWith(`${c.name} > `))) continue;
    if (/<(failure|error)\b/.test(c.body)) failed.push(c.name);
    else if (/<skipped\b/.test(c.body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

async function runFile(runtime: Runtime, file: string, scratch: string, timeoutS: number): Promise<FileResult> {
  const junit = join(scratch, `${file}.xml`);
  const started = Date.now();
  const child = spawn(binary(runtime), command(runtime, file, junit), {
    cwd: root,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so a time-out kills what it spawned too
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }, timeoutS * 1000);
  const code = await new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      output += String(error);
      resolve(-1);
    });
    child.once("close", (exit) => resolve(exit));
  });
  clearTimeout(timer);
  const ms = Date.now() - started;
  const xml = await readFile(junit, "utf8").catch(() => "");
  const counts = parseJunit(xml);
  let problem: string | undefined;
  if (timedOut) problem = `killed after the per-file time-out of ${timeoutS} s`;
  else if (xml === "") problem = `no report (exit code ${code})`;
  else if (code !== 0 && counts.failed.length === 0) problem = `exit code ${code} with no failing test`;
  return { file, ...counts, ms, output, ...(problem === undefined ? {} : { problem }) };
}

async function main(): Promise<number> {
  const [runtime, ...filters] = process.argv.slice(2);
  if (runtime !== "bun" && runtime !== "deno") {
    console.error("usage: node dist/test/run-suite.js bun|deno [name-filter...]");
    return 2;
  }
  const version = spawnSync(binary(runtime), ["--version"], { encoding: "utf8" });
  if (version.status !== 0) {
    console.error(`${runtime} does not run (${binary(runtime)}): ${version.error?.message ?? version.stderr.trim()}`);
    console.error("It comes as a devDependency; `npm ci` links it in its postinstall (not with --ignore-scripts).");
    return 1;
  }
  const named = version.stdout.trim().split("\n")[0] ?? "";
  console.log(`running on ${named.startsWith(runtime) ? named : `${runtime} ${named}`}`);
  const concurrency = Number(process.env["TEST_CONCURRENCY"] ?? 2);
  const timeoutS = Number(process.env["TEST_FILE_TIMEOUT"] ?? 240);
  const files = (await readdir(here))
    .filter((f) => f.endsWith(".test.js"))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  const scratch = await mkdtemp(join(tmpdir(), `tcpkit-${runtime}-`));
  const results: FileResult[] = [];
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      const result = await runFile(runtime, file, scratch, timeoutS);
      results.push(result);
      const bad = result.failed.length > 0 || result.problem !== undefined;
      const skip = result.skipped > 0 ? `, ${result.skipped} skipped` : "";
      console.log(`${bad ? "FAIL" : "ok  "} ${file}: ${result.passed} passed, ${result.failed.length} failed${skip} (${(result.ms / 1000).toFixed(1)} s)`);
      if (bad) {
        console.log(result.output.replace(/^/gm, "    | "));
        if (result.problem !== undefined) console.log(`    ${result.problem}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  await rm(scratch, { recursive: true, force: true });

  const failedNames = results.flatMap((r) => r.failed.map((name) => `${r.file}: ${name}`));
  const broken = results.filter((r) => r.problem !== undefined);
  console.log(`\n${runtime}: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const name of failedNames) console.log(`  failed: ${name}`);
  for (const r of broken) console.log(`  broken: ${r.file}: ${r.problem}`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  const failed = failedNames.length + broken.filter((r) => r.failed.length === 0).length;
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed === 0 && files.length > 0 ? 0 : 1;
}

process.exitCode = await main();
