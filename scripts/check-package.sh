#!/usr/bin/env bash
# Checks the package as a user gets it. From a fresh clone of this checkout's
# HEAD (so no dist/ and nothing untracked): `npm pack` must build and pack it;
# the tarball, installed into an empty consumer, must import and require every
# subpath, type-check, run its bin, and hold no internal member in its .d.ts
# and no source map pointing at a missing file; an install from the git URL
# must build it too. Uses the npm cache where it can (--prefer-offline).
set -Eeuo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/tcpkit-package-XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
npm_quiet=(--prefer-offline --no-audit --no-fund --loglevel=error)

passed=0
# Each step that begins marks the one before it as passed.
step() { [ -z "${current:-}" ] || passed=$((passed + 1)); current="$*"; printf 'check-package: [%3ss] %s\n' "$SECONDS" "$*"; }
fail() { printf 'check-package: FAILED: %s (in: %s)\ncheck-package: %d passed, 1 failed\n' "$*" "${current:-start}" "$passed" >&2; exit 1; }
# Runs a command with its output in a log, shown only when it fails.
quiet() { "$@" >"$scratch/log" 2>&1 || { cat "$scratch/log" >&2; fail "$*"; }; }
trap 'fail "exit status $? at line $LINENO"' ERR

if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  step "note: uncommitted changes are not checked (the check clones HEAD)"
fi

step "clone HEAD into $scratch/repo"
git clone --quiet "$repo" "$scratch/repo"
cd "$scratch/repo"
[ ! -e dist ] || fail "a fresh clone has dist/"

# --ignore-scripts: the build must come from `npm pack` itself (its prepare script).
step "npm ci --ignore-scripts"
quiet npm ci --ignore-scripts "${npm_quiet[@]}"
step "npm pack"
npm pack --pack-destination "$scratch" --json "${npm_quiet[@]}" >"$scratch/pack.json" 2>"$scratch/log" \
  || { cat "$scratch/pack.json" "$scratch/log" >&2; fail "npm pack"; }
tarball="$scratch/$(node -p 'require(process.argv[1])[0].filename' "$scratch/pack.json")"
node - "$scratch/pack.json" <<'EOF'
const files = new Set(require(process.argv[2])[0].files.map((f) => f.path));
const needed = ["LICENSE", "README.md", "package.json", "dist/src/index.js", "dist/src/index.d.ts",
  "dist/src/udp/index.js", "dist/src/socket/index.js", "dist/src/cli/main.js", "src/index.ts"];
const missing = needed.filter((f) => !files.has(f));
if (missing.length > 0) throw new Error(`the tarball lacks ${missing.join(", ")}`);
const stray = [...files].filter((f) => /^(dist\/(test|demo|bench)|test|bench|demo|docs\/api)\//.test(f));
if (stray.length > 0) throw new Error(`the tarball holds files users do not need: ${stray.slice(0, 5).join(", ")}`);
console.log(`check-package: ${files.size} files packed`);
EOF

step "install the tarball into an empty consumer"
consumer="$scratch/consumer"
mkdir "$consumer"
cd "$consumer"
printf '{ "name": "consumer", "version": "1.0.0", "private": true }\n' >package.json
quiet npm install "$tarball" "${npm_quiet[@]}"

step "import and require every subpath"
node --input-type=module - <<'EOF'
const expected = { tcpkit: ["Client", "Listener", "TcpError"], "tcpkit/udp": ["Client", "ConnectClient", "Listener"], "tcpkit/socket": ["Client", "Listener", "UdpClient"], "tcpkit/cluster": ["runWorkers"] };
for (const [specifier, names] of Object.entries(expected)) {
  const module = await import(specifier);
  for (const name of names) if (typeof module[name] !== "function") throw new Error(`import "${specifier}" has no ${name}`);
}
EOF
node - 2>"$scratch/stderr" <<'EOF' || { cat "$scratch/stderr" >&2; fail "require() of the package"; }
const expected = { tcpkit: ["Client", "Listener", "TcpError"], "tcpkit/udp": ["Client", "ConnectClient", "Listener"], "tcpkit/socket": ["Client", "Listener", "UdpClient"], "tcpkit/cluster": ["runWorkers"] };
for (const [specifier, names] of Object.entries(expected)) {
  const module = require(specifier);
  for (const name of names) if (typeof module[name] !== "function") throw new Error(`require("${specifier}") has no ${name}`);
}
EOF
[ ! -s "$scratch/stderr" ] || { cat "$scratch/stderr" >&2; fail "require() printed warnings"; }

step "npx tcpkit --help"
help="$(npx --no-install tcpkit --help)" || fail "npx tcpkit --help exited $?"
case "$help" in *"Usage: tcpkit"*) ;; *) fail "npx tcpkit --help printed: $help" ;; esac

step "the .d.ts hold the public API only; source maps resolve"
node --input-type=module - <<'EOF'
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
const root = "node_modules/tcpkit/dist";
const files = readdirSync(root, { recursive: true }).map((f) => join(root, f));
for (const file of files.filter((f) => f.endsWith(".d.ts"))) {
  const leak = readFileSync(file, "utf8").match(/_writeBack|_closeWriter|CallerHost|ServiceConnection/);
  if (leak) throw new Error(`${file} declares the internal ${leak[0]}`);
}
const maps = files.filter((f) => f.endsWith(".map"));
if (maps.length === 0) throw new Error("no source maps were packed");
for (const map of maps) {
  const { sources } = JSON.parse(readFileSync(map, "utf8"));
  for (const source of sources) {
    if (!existsSync(join(dirname(map), source))) throw new Error(`${map} points at ${source}, which is not in the package`);
  }
}
EOF

step "type-check a consumer against the packed .d.ts (skipLibCheck off)"
cat >consumer.ts <<'EOF'
import { Client, Listener, TcpError, type Caller, type ClientConfiguration } from "tcpkit";
import { ConnectClient, Listener as UdpListener, type Datagram } from "tcpkit/udp";
import { Client as SocketClient, UdpClient } from "tcpkit/socket";

const config: ClientConfiguration = { timeout: 5 };
const listener = new Listener(0, { localHost: "127.0.0.1" });
listener.attach({ onConnect: (caller: Caller) => ({ onBytes: (data: Uint8Array) => data }) });
export const all = [config, Client.connect, TcpError, ConnectClient.connect, UdpListener, SocketClient, UdpClient];
export type Received = Datagram;
EOF
cat >tsconfig.json <<EOF
{
  "compilerOptions": {
    "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "strict": true,
    "exactOptionalPropertyTypes": true, "skipLibCheck": false, "noEmit": true,
    "lib": ["ES2022", "ESNext.Disposable"],
    "types": ["node"], "typeRoots": ["$scratch/repo/node_modules/@types"]
  },
  "files": ["consumer.ts"]
}
EOF
printf '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }\n' >package.json
node "$scratch/repo/node_modules/typescript/bin/tsc" -p tsconfig.json || fail "the consumer does not type-check"

step "npm install git+file:// (builds through prepare)"
git_consumer="$scratch/git-consumer"
mkdir "$git_consumer"
cd "$git_consumer"
printf '{ "name": "git-consumer", "version": "1.0.0", "private": true }\n' >package.json
quiet npm install "git+file://$scratch/repo" "${npm_quiet[@]}"
node --input-type=module -e 'const { Client } = await import("tcpkit"); if (typeof Client !== "function") process.exit(1);' \
  || fail "import of the git install"
npx --no-install tcpkit --help >/dev/null || fail "npx tcpkit --help after a git install"

passed=$((passed + 1))
# A closing line in the usual 'N passed, N failed' form, for whoever reads the end of the CI log.
printf 'check-package: %d passed, 0 failed\n' "$passed"
