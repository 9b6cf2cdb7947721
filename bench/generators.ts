/**
 * The load generators, the same for both sides of every comparison: the
 * shared C `loadgen` (ping-pong) and this bench's C `churn`, compiled into a
 * cache directory outside git, or raw `node:net` stand-ins when gcc or
 * libssl are missing. They run pinned to core 1; the servers to core 0.
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
  mb_per_s: number;
  p50_us: number;
  p99_us: number;
  msgs_all: number;
  errors: number;
  client?: string;
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

function loadgenSource(): string | undefined {
  const candidates = [
    process.env["TCPKIT_LOADGEN_SRC"],
    join(repoRoot, "..", "shared", "peers", "loadgen-c", "loadgen.c"),
    "/work/shared/peers/loadgen-c/loadgen.c",
  ];
  return candidates.find((path): path is string => path !== undefined && existsSync(path));
}

/** Compiles `source` to `binary` unless an up-to-date build is there; false if gcc fails. */
function compile(source: string, binary: string, libraries: readonly string[]): boolean {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return true;
  mkdirSync(dirname(binary), { recursive: true });
  const result = spawnSync("gcc", ["-O2", "-Wall", "-o", binary, source, ...libraries], { encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(`bench: cannot compile ${source} (${result.error?.message ?? result.stderr.trim()})\n`);
    return false;
  }
  return true;
}

export class Generators {
  /** `c` when the C tools are in use, `node` for the fallback. */
  readonly kind: "c" | "node";
  readonly #loadgen: string | undefined;
  readonly #churn: string | undefined;

  constructor(forceNode: boolean) {
    let loadgen: string | undefined;
    let churn: string | undefined;
    if (!forceNode) {
      const source = loadgenSource();
      const binary = join(cacheDir, "loadgen");
      if (source !== undefined && compile(source, binary, ["-lssl", "-lcrypto"])) loadgen = binary;
      const churnBinary = join(cacheDir, "churn");
      if (compile(join(repoRoot, "bench", "churn-c", "churn.c"), churnBinary, [])) churn = churnBinary;
    }
    this.#loadgen = loadgen;
    this.#churn = churn;
    this.kind = loadgen !== undefined && churn !== undefined ? "c" : "node";
  }

  /** Closed-loop echo load: each connection sends a message and waits for the whole echo. */
  pingPong(options: LoadOptions): Promise<GeneratorResult> {
    const common = ["-p", String(options.port), "-c", String(options.conns), "-s", String(options.size),
      "-d", String(options.durationMs), "-w", String(options.warmupMs)];
    if (this.#loadgen === undefined) return this.#node("pingpong", common, options);
    const args = ["-a", "127.0.0.1", ...common, "-P", options.tls ? "tls" : "tcp", "-j"];
    return this.#run(new JsonChild(1, this.#loadgen, args), options);
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

  async #run(child: JsonChild, options: LoadOptions): Promise<GeneratorResult> {
    try {
      return await child.next<GeneratorResult>(options.warmupMs + options.durationMs + 60_000);
    } finally {
      await child.stop();
    }
  }
}
