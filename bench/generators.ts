/**
 * The load generators, the same for both sides of every comparison: the C
 * `loadgen` (ping-pong; vendored in bench/loadgen-c/) and the C `churn`
 * (bench/churn-c/), compiled by `npm run bench` into a cache directory
 * outside git. When one cannot be built the bench says so loudly and uses
 * the raw `node:net` generator (bench/node-loadgen.ts) in its place, and the
 * output names the generator that ran. They run pinned to core 1; the code
 * under test to core 0.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { JsonChild, nodeChild } from "./proc.js";

/** The worktree root (dist/bench/ is two levels below it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Built tools and certificates: ignored by git, kept between runs. */
export const cacheDir = join(repoRoot, "node_modules", ".cache", "tcpkit-bench");

/** What a generator prints (the shared loadgen's field names). */
export interface GeneratorResult {
  msgs_per_s: number;
  p50_us: number;
  p99_us: number;
  msgs_all: number;
  /** Round trips inside the measured window (after the warm-up). */
  msgs?: number;
  errors: number;
  first_error?: string;
}

export interface LoadOptions {
  port: number;
  conns: number;
  size: number;
  durationMs: number;
  warmupMs: number;
  tls: boolean;
}

/** The measured window of a run: it opens after the connects and the warm-up, and closes before the disconnects. */
export type WindowPhase = "measuring" | "ended";

/**
 * Called when the C load generator's measured window opens and closes (the
 * Node fallback does not say): the run waits for it, so a server's CPU time
 * can be read at both ends.
 */
export type OnWindow = (phase: WindowPhase) => Promise<void>;

/** Why gcc failed, with what to install when the cause is a missing tool or header. */
function buildFailure(result: ReturnType<typeof spawnSync>): string {
  if (result.error !== undefined) {
    return `${result.error.message}${(result.error as NodeJS.ErrnoException).code === "ENOENT" ? " (install gcc: apt-get install gcc)" : ""}`;
  }
  const stderr = String(result.stderr).trim();
  const hint = /openssl\/\w+\.h|-lssl|-lcrypto/.test(stderr) ? " (the OpenSSL headers are missing: apt-get install libssl-dev)" : "";
  return `${stderr.split("\n").slice(0, 6).join("\n")}${hint}`;
}

/**
 * Compiles `source` (relative to the repository) to `name` in the cache
 * unless an up-to-date build is there; the binary, or why it failed.
 */
function build(source: string, name: string, libraries: readonly string[]): { binary: string } | { failure: string } {
  const path = join(repoRoot, source);
  const binary = join(cacheDir, name);
  if (!existsSync(path)) return { failure: `${source} is missing` };
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(path).mtimeMs) return { binary };
  mkdirSync(dirname(binary), { recursive: true });
  const result = spawnSync("gcc", ["-O2", "-Wall", "-o", binary, path, ...libraries], { encoding: "utf8" });
  return result.status === 0 ? { binary } : { failure: buildFailure(result) };
}

/** Prints `lines` on stderr where nobody can miss them. */
function shout(lines: readonly string[]): void {
  const bar = "!".repeat(78);
  process.stderr.write(`${bar}\n${lines.map((line) => `!! ${line}`).join("\n")}\n${bar}\n`);
}

export class Generators {
  /** Which generators run, for the output (a fallback says why). */
  readonly description: string;
  readonly #loadgen: string | undefined;
  readonly #churn: string | undefined;

  /** Builds the C tools; `forceNode` (`--node-loadgen`) skips them. */
  constructor(forceNode: boolean) {
    if (forceNode) {
      this.description = "Node load generator (bench/node-loadgen.ts) for ping-pong and churn, chosen with --node-loadgen";
      return;
    }
    const loadgen = build("bench/loadgen-c/loadgen.c", "loadgen", ["-lssl", "-lcrypto"]);
    const churn = build("bench/churn-c/churn.c", "churn", []);
    const parts: string[] = [];
    const failures: string[] = [];
    if ("binary" in loadgen) {
      this.#loadgen = loadgen.binary;
      parts.push("C loadgen (bench/loadgen-c) for ping-pong");
    } else {
      parts.push("**Node load generator for ping-pong: the C loadgen could not be built**");
      failures.push(`cannot build bench/loadgen-c/loadgen.c: ${loadgen.failure}`);
    }
    if ("binary" in churn) {
      this.#churn = churn.binary;
      parts.push("C churn (bench/churn-c)");
    } else {
      parts.push("**Node load generator for churn: the C churn could not be built**");
      failures.push(`cannot build bench/churn-c/churn.c: ${churn.failure}`);
    }
    this.description = parts.join(", ");
    if (failures.length > 0) {
      shout([
        ...failures.flatMap((failure) => failure.split("\n")),
        "FALLING BACK to the Node load generator (bench/node-loadgen.ts) for the tools above.",
        "It is slower than the servers at 50 and 500 connections, which pulls msgs/s ratios towards 1;",
        "the tables say which generator ran. Install gcc and libssl-dev for the C tools.",
      ]);
    }
  }

  /** Closed-loop echo load: each connection sends a message and waits for the whole echo. */
  pingPong(options: LoadOptions, onWindow?: OnWindow): Promise<GeneratorResult> {
    const common = ["-p", String(options.port), "-c", String(options.conns), "-s", String(options.size),
      "-d", String(options.durationMs), "-w", String(options.warmupMs)];
    if (this.#loadgen === undefined) return this.#node("pingpong", common, options);
    const args = ["-a", "127.0.0.1", ...common, "-P", options.tls ? "tls" : "tcp", "-j"];
    return this.#run(new JsonChild(1, this.#loadgen, args), options, onWindow);
  }

  /** Connect, one round trip, close, again, from `conns` slots at once. */
  churn(options: LoadOptions): Promise<GeneratorResult> {
    const common = ["-p", String(options.port), "-c", String(options.conns), "-s", String(options.size),
      "-d", String(options.durationMs), "-w", String(options.warmupMs)];
    if (this.#churn === undefined || options.tls) return this.#node("churn", common, options);
    return this.#run(new JsonChild(1, this.#churn, ["-a", "127.0.0.1", ...common, "-j"]), options);
  }

  #node(mode: string, common: string[], options: LoadOptions): Promise<GeneratorResult> {
    const args = [mode, ...common, "-P", options.tls ? "tls" : "tcp"];
    return this.#run(nodeChild(1, "node-loadgen.js", args), options);
  }

  async #run(child: JsonChild, options: LoadOptions, onWindow?: OnWindow): Promise<GeneratorResult> {
    try {
      for (;;) {
        const line = await child.next<GeneratorResult | { phase: WindowPhase }>(options.warmupMs + options.durationMs + 60_000);
        if (!("phase" in line)) return line;
        await onWindow?.(line.phase);
      }
    } finally {
      await child.stop();
    }
  }
}
