/**
 * Third-party programs that some tests run (`openssl`, Java's `keytool`,
 * `python3`). A machine without one skips those tests with a visible reason
 * instead of failing them; the README lists which tests need which tool.
 * CI installs them all and sets TCPKIT_REQUIRE_TOOLS=1, so there a missing
 * tool fails its tests instead of skipping them.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export type Tool = "openssl" | "keytool" | "python3" | "redis-server" | "redis-cli";

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

/** The Python that Debian's python3-* packages install into (not a pyenv or venv one on the PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

const moduleCache = new Map<string, boolean>();

/**
 * Like {@link requireTool}, for a module of the system's Python
 * (`/usr/bin/python3 -c "import <name>"`), e.g. `aiosmtpd` from Debian's
 * `python3-aiosmtpd`.
 */
export function requirePythonModule(name: string, debianPackage: string): string | false {
  if (process.env["TCPKIT_REQUIRE_TOOLS"] === "1") return false;
  let found = moduleCache.get(name);
  if (found === undefined) {
    const result = spawnSync(SYSTEM_PYTHON, ["-c", `import ${name}`], { stdio: "ignore", timeout: 10_000 });
    found = result.status === 0;
    moduleCache.set(name, found);
  }
  if (found) return false;
  return `needs ${SYSTEM_PYTHON} with the ${name} module, not found (apt-get install ${debianPackage}; see "Tests and the tools they need" in the README)`;
}
