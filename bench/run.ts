/**
 * `npm run bench [-- options]`: tcpkit against hand-written node:net / node:tls
 * code, in one run, in ABBA pairs; per cell the median of the per-pair
 * tcpkit/raw ratios of CPU time per message and their spread.
 *
 * Options: `--quick` (two short pairs per cell, a few minutes in all),
 * `--pairs N`, `--duration MS`, `--warmup MS`,
 * `--only echo,tls,client,client-promise,idle,churn`, `--sizes 64,16384`, `--conns 1,50,500`, `--idle 10000`,
 * `--node-loadgen` (skip the C tools),
 * `--write-results` (replace the generated part of bench/RESULTS.md).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Generators, cacheDir, repoRoot } from "./generators.js";
import { canPin } from "./proc.js";
import { markdownTables, summarize, type Cell, type CellSummary } from "./report.js";
import { churnSuite, clientSuite, echoSuite, idleSuite, type SuiteSettings } from "./suites.js";
import { ensureCertificate } from "./tls-servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    pairs: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    only: { type: "string" },
    sizes: { type: "string" },
    conns: { type: "string" },
    idle: { type: "string" },
    "node-loadgen": { type: "boolean", default: false },
    "write-results": { type: "boolean", default: false },
  },
});

const quick = values.quick === true;
/** `--sizes 64,16384` and `--conns 50` narrow the echo and client cells. */
function numbers(list: string | undefined): number[] | undefined {
  return list === undefined ? undefined : list.split(",").map(Number);
}
const only = new Set((values.only ?? "echo,tls,client,client-promise,idle,churn").split(",").map((name) => name.trim()));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const certDir = join(cacheDir, "cert");
const generators = new Generators(values["node-loadgen"] === true);
const settings: SuiteSettings = {
  pairs: Number(values.pairs ?? (quick ? 2 : 4)),
  durationMs: Number(values.duration ?? (quick ? 800 : 2000)),
  warmupMs: Number(values.warmup ?? (quick ? 300 : 1000)),
  sizes: numbers(values.sizes) ?? [64, 16 * 1024],
  conns: numbers(values.conns) ?? [1, 50, 500],
  idleConnections: Number(values.idle ?? (quick ? 1000 : 10_000)),
  churnConns: [1, 50],
  generators,
  certDir,
  log,
};

const machine = {
  date: new Date().toISOString(),
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: `${os.type()} ${os.release()}`,
  node: process.version,
  loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  pinned: canPin ? "server/code under test on core 0, load on core 1 (taskset)" : "not pinned (taskset unavailable)",
  generator: generators.description,
  openFilesLimit: "each node child raises its soft limit to the hard limit (ulimit -n); the idle suite needs about 10,100 descriptors per process",
  mode: quick ? "quick" : "full",
  pairs: settings.pairs,
  durationMs: settings.durationMs,
  warmupMs: settings.warmupMs,
};
log(`tcpkit bench (${machine.mode}): ${machine.cpu} × ${machine.cores}, ${machine.node}, ${machine.generator}, ${machine.pinned}`);

const cells: Cell[] = [];
const skipped: string[] = [];
if (only.has("echo")) cells.push(...(await echoSuite(settings, "tcp")));
if (only.has("tls")) {
  if (!ensureCertificate(certDir)) skipped.push("TLS echo: openssl is missing, no certificate");
  else cells.push(...(await echoSuite(settings, "tls")));
}
if (only.has("client")) cells.push(...(await clientSuite(settings)));
if (only.has("client-promise")) cells.push(...(await clientSuite(settings, "promise")));
if (only.has("idle")) cells.push(...(await idleSuite(settings, "tcp")));
if (only.has("churn")) cells.push(...(await churnSuite(settings)));

const summaries = cells.map(summarize);
const tables = markdownTables(summaries);
const named = (summary: CellSummary): string =>
  `${summary.suite}: ${summary.name} (${summary.judged.median.toFixed(3)}, ${summary.judged.min.toFixed(3)}–${summary.judged.max.toFixed(3)})`;
const misses = summaries.filter((summary) => !summary.meets).map(named);
const noise = summaries.filter((summary) => summary.judged.noise === true).map(named);
process.stdout.write(`\nload: ${machine.generator}\n\n${tables}\n`);
for (const line of skipped) process.stdout.write(`skipped: ${line}\n`);
process.stdout.write(misses.length === 0 ? "every cell meets its target\n" : `cells whose median misses its target:\n  ${misses.join("\n  ")}\n`);
process.stdout.write(
  noise.length === 0 ? "no cell's judged ratio is within its own spread of 1.0\n" : `cells whose judged ratio is noise (the pairs disagree on the sign):\n  ${noise.join("\n  ")}\n`,
);

const resultsDir = join(repoRoot, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, `${machine.date.replace(/[:.]/g, "-")}.json`);
writeFileSync(jsonPath, `${JSON.stringify({ machine, skipped, cells: summaries }, null, 2)}\n`);
process.stdout.write(`JSON: ${jsonPath}\n`);

if (values["write-results"] === true) {
  const path = join(repoRoot, "bench", "RESULTS.md");
  const start = "<!-- generated:start -->";
  const end = "<!-- generated:end -->";
  const generated = [
    start,
    `Measured ${machine.date.slice(0, 16).replace("T", " ")} UTC on ${machine.cpu} × ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node};`,
    `Load: ${machine.generator}; ${machine.pinned}; ${machine.pairs} pairs per cell in ABBA order, each run ${machine.durationMs} ms after ${machine.warmupMs} ms warm-up (${machine.mode} mode); load average at start ${machine.loadAverage.join(", ")}.`,
    "Figures are medians over the runs (tcpkit / raw). Ratios are tcpkit/raw per pair: the median, the min–max over the pairs, and **noise** where the",
    "pairs reach past 1.0 on the other side of the median by more than the median differs from 1.0. Cells are judged by CPU time per message (lower is better);",
    "msgs/s is shown, not judged.",
    "",
    tables,
    ...skipped.map((line) => `Skipped: ${line}.`),
    end,
  ].join("\n");
  const current = existsSync(path) ? readFileSync(path, "utf8") : `# tcpkit benchmark results\n\n${start}\n${end}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from === -1 || to === -1 ? `${current}\n${generated}\n` : current.slice(0, from) + generated + current.slice(to + end.length);
  writeFileSync(path, next);
  process.stdout.write(`updated ${path}\n`);
}
