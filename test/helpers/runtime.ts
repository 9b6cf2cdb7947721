/**
 * Tests run on Node, Bun and Deno (`npm test`, `npm run test:bun`,
 * `npm run test:deno`). This module says how to start a script on the
 * runtime the test runs under, and skips a test on one runtime only, with
 * the reason (a bug of that runtime, with its upstream issue; never ours).
 */
import { runtime, type RuntimeName } from "../../src/core/runtime.js";

export { runtime, type RuntimeName };

/**
 * The command and arguments that run the script at `path` with `args` on
 * this runtime (`deno` needs `run -A`; Node and Bun take the path).
 */
export function scriptCommand(path: string, args: readonly string[] = []): [string, string[]] {
  const head = runtime === "deno" ? ["run", "-A", path] : [path];
  return [process.execPath, [...head, ...args]];
}

/**
 * A value for the `skip` option of `it` / `test`: the reason on the named
 * runtime, `false` elsewhere. Every reason is listed in docs/runtimes.md.
 *
 * @example
 * ```ts
 * it("pins a TLS 1.3 cipher", { skip: skipOn("bun", "Bun ignores ciphersuites (oven-sh/bun#N)") }, async () => {});
 * ```
 */
export function skipOn(name: RuntimeName, reason: string): string | false {
  return runtime === name ? `${name}: ${reason}` : false;
}
