/**
 * Which JavaScript runtime runs this code. tcpkit is written against
 * Node's `net`, `tls` and `dgram`; Bun and Deno 2 provide those modules too,
 * but a few of their behaviours differ, and the modules that work around a
 * difference ask here.
 *
 * @module
 */

/** The runtimes tcpkit is tested on. */
export type RuntimeName = "node" | "bun" | "deno";

function detect(): RuntimeName {
  const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process?.versions;
  // Bun and Deno both fill in `process.versions.node` for compatibility; their own key decides.
  if (versions?.["bun"] !== undefined) return "bun";
  if (versions?.["deno"] !== undefined || "Deno" in globalThis) return "deno";
  return "node";
}

/**
 * The runtime this process runs on, decided once at load.
 *
 * @example
 * ```ts
 * import { runtime } from "./runtime.js";
 * if (runtime === "bun") console.log("running on Bun");
 * ```
 */
export const runtime: RuntimeName = detect();
