/**
 * Third-party programs that some tests run (`openssl`, Java's `keytool`,
 * `python3`). A machine without one skips those tests with a visible reason
 * instead of failing them; the README lists which tests need which tool.
 * CI installs them all and sets TCPKIT_REQUIRE_TOOLS=1, so there a missing
 * tool fails its tests instead of skipping them.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export type Tool = "openssl" | "keytool" | "python3";

const onPathCache = new Map<Tool, boolean>();

function onPath(tool: Tool): boolean {
  let found = onPathCache.get(tool);
  if (found === undefined) {
    found = (process.env["PATH"] ?? "").split(delimiter).some((dir) => {
      if (dir === "") return false;
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    onPathCache.set(tool, found);
  }
  return found;
}

/**
 * `false` when every tool is on the PATH, else the reason to skip, naming the
 * missing ones: pass it as `skip` to `test()` / `describe()`, and return
 * early from hooks that would run the tool.
 *
 * @example
 * ```ts
 * const skip = requireTool("openssl");
 * test("a handshake with openssl s_server", { skip }, async () => { ... });
 * ```
 */
export function requireTool(...tools: Tool[]): string | false {
  if (process.env["TCPKIT_REQUIRE_TOOLS"] === "1") return false;
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length === 0) return false;
  return `needs ${missing.join(" and ")}, not found on the PATH (install it to run this test; see "Tests and the tools they need" in the README)`;
}
