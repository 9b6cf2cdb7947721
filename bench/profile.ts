/**
 * `node dist/bench/profile.js server|server-tls|churn|client tcpkit|raw SIZE CONNS [MS]`:
 * runs one benchmark cell with the code under test under `--cpu-prof` and
 * prints where its CPU time went (self time by function, and totals for
 * tcpkit's own files, node internals, GC and idle). For finding overhead,
 * not for figures: the profiler slows everything down a little.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Generators, cacheDir } from "./generators.js";
import { ensureCertificate } from "./tls-servers.js";
import { nodeChild } from "./proc.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per kind of code, in percent of the profile. */
function summarizeProfile(profile: Profile, top = Number(process.env["PROFILE_TOP"] ?? 30)): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + delta);
    total += delta;
  });
  const byFunction = new Map<string, number>();
  const byKind = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^file:\/\/.*\/dist\//, "").replace(/^node:/, "node:");
    const key = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    const kind = file.startsWith("src/")
      ? "tcpkit src"
      : file.startsWith("bench/")
        ? "bench code"
        : file.startsWith("node:")
          ? "node internals (JS)"
          : frame.functionName.startsWith("(")
            ? frame.functionName
            : "native / other";
    byKind.set(kind, (byKind.get(kind) ?? 0) + time);
  }
  const pct = (time: number): string => `${((time / total) * 100).toFixed(1).padStart(5)} %`;
  const lines = ["by kind:"];
  for (const [kind, time] of [...byKind].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(time)}  ${kind}`);
  // Inclusive time of tcpkit's own functions: a sample counts for every one on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const file = frame.url.replace(/^file:\/\/.*\/dist\//, "");
      if (!file.startsWith("src/")) continue;
      seen.add(`${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`);
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  lines.push("tcpkit functions by inclusive time:");
  for (const [key, time] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(time)}  ${key}`);
  lines.push(`top ${top} functions by self time:`);
  for (const [key, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(time)}  ${key}`);
  return lines.join("\n");
}

function readProfile(dir: string): Profile {
  const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no profile written in ${dir}`);
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
}

async function main(): Promise<void> {
  const [side = "server", variant = "tcpkit", sizeText = "64", connsText = "50", msText = "5000"] = process.argv.slice(2);
  const size = Number(sizeText);
  const conns = Number(connsText);
  const durationMs = Number(msText);
  const dir = mkdtempSync(join(tmpdir(), "tcpkit-prof-"));
  const profFlags = process.env["PROFILE_HEAP"] === undefined ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : ["--heap-prof", `--heap-prof-dir=${dir}`, "--heap-prof-interval=4096"];
  try {
    if (side === "churn") {
      const server = nodeChild(0, "echo-server.js", [variant, "tcp"], profFlags);
      const { port } = await server.next<{ port: number }>();
      const result = await new Generators(false).churn({ port, conns, size, durationMs, warmupMs: 500, tls: false });
      await server.stop();
      process.stdout.write(`${variant} server churn, ${conns} at once: ${Math.round(result.msgs_per_s)} conns/s\n`);
    } else if (side === "server" || side === "server-tls") {
      const tls = side === "server-tls";
      const certDir = join(cacheDir, "cert");
      if (tls && !ensureCertificate(certDir)) throw new Error("openssl is needed for a certificate");
      const server = nodeChild(0, "echo-server.js", [variant, tls ? "tls" : "tcp", certDir], profFlags);
      const { port } = await server.next<{ port: number }>();
      const result = await new Generators(false).pingPong({ port, conns, size, durationMs, warmupMs: 500, tls });
      await server.stop();
      process.stdout.write(`${variant} server, ${size} B × ${conns}: ${Math.round(result.msgs_per_s)} msgs/s\n`);
    } else {
      const server = nodeChild(1, "echo-server.js", ["raw", "tcp"]);
      const { port } = await server.next<{ port: number }>();
      const client = nodeChild(0, "pingpong-client.js", [variant, port, conns, size, durationMs, 500].map(String), profFlags);
      const result = await client.next<{ msgs_per_s: number }>(durationMs + 60_000);
      await client.stop();
      await server.stop();
      process.stdout.write(`${variant} client, ${size} B × ${conns}: ${Math.round(result.msgs_per_s)} msgs/s\n`);
    }
    process.stdout.write(`${summarizeProfile(readProfile(dir))}\n`);
  } finally {
    if (process.env["PROFILE_KEEP"] === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`profile kept in ${dir}`);
  }
}

await main();
