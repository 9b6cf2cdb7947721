/**
 * The soak: `npm run soak [-- --quick]`. Drives a tcpkit Listener in a child
 * process (bench/soak-server.ts, so its figures hold only the server) through
 * six phases on loopback, each bounded in count and in time, and reports the
 * server's open fds, RSS, heap (after a full GC) and errors before, during and
 * after each. Not part of `npm test`. Flags: `--quick` (about 100x less),
 * `--idle N`, `--churn N`, `--tls N`, `--concurrency N`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { nodeChild, type JsonChild } from "./proc.js";
import { softFdLimit } from "../src/tcp/fd-watch.js";

interface Sample {
  fds: number;
  rss: number;
  heapUsed: number;
  connections: number;
  errors: Record<string, number>;
  writeTimeouts: number;
  gc: boolean;
}

interface PhaseResult {
  name: string;
  planned: number;
  done: number;
  clientErrors: number;
  seconds: number;
  before: Sample;
  during: Sample;
  after: Sample;
  /** Phase-specific checks, each true when it held. */
  checks: Record<string, boolean>;
  notes: string[];
}

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
function flag(name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(argv[at + 1]);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}
const scale = quick ? 100 : 1;
const plan = {
  idle: flag("idle", 10_000 / scale),
  churn: flag("churn", 1_000_000 / scale),
  tls: flag("tls", 20_000 / scale),
  slowloris: quick ? 100 : 1_000,
  silent: quick ? 100 : 1_000,
  neverread: quick ? 5 : 50,
  concurrency: flag("concurrency", 50),
};
/** Wall-clock bound of each phase's load; past it no new work starts and the phase reports what it did. */
const budgetMs = { idle: 120_000, churn: 30 * 60_000, tls: 15 * 60_000, hostile: 60_000 };
/** Descriptors a phase may leave above the baseline before the verdict fails (lazily opened ones, e.g. by libuv). */
const FD_SLACK = 5;
const PAYLOAD = Buffer.alloc(64, 0x61);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A throw-away self-signed P-256 certificate for localhost, made by openssl in a temp dir. */
function makePki(): string {
  const dir = mkdtempSync(join(tmpdir(), "tcpkit-soak-"));
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "server.key"), "-out", join(dir, "server.crt"), "-days", "2",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore", timeout: 30_000 },
  );
  return dir;
}

/** Runs `task(i)` for i < count with at most `concurrency` in flight, stopping new ones after `deadline`. */
async function pool(count: number, concurrency: number, deadline: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      await task(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return done;
}

/** Opens a socket and resolves once it is connected (or has failed: `undefined`). */
function open(port: number, secure: tls.ConnectionOptions | undefined): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = secure === undefined ? net.connect({ host: "127.0.0.1", port }) : tls.connect({ ...secure, host: "127.0.0.1", port });
    // Bounded: a connect the kernel keeps retrying (a full accept queue) counts as failed after 10 s.
    const timer = setTimeout(() => fail(), 10_000);
    const fail = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    };
    socket.once("error", fail);
    socket.once(secure === undefined ? "connect" : "secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve(socket);
    });
  });
}

/** One cycle: connect, send 64 B, read the 64 B echoed back, close; resolves false on any failure. */
function roundTrip(port: number, secure: tls.ConnectionOptions | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = secure === undefined ? net.connect({ host: "127.0.0.1", port }) : tls.connect({ ...secure, host: "127.0.0.1", port });
    let received = 0;
    let ok = false;
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on("error", () => {});
    socket.once(secure === undefined ? "connect" : "secureConnect", () => socket.write(PAYLOAD));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received >= PAYLOAD.length && !ok) {
        ok = true;
        socket.end();
      }
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(ok);
    });
  });
}

class Soak {
  readonly results: PhaseResult[] = [];
  constructor(readonly server: JsonChild) {}

  stats(): Promise<Sample> {
    return this.server.ask<Sample>("stats");
  }

  /** Starts the phase's listener, runs `load` between the samples, waits for the server to drain, stops it. */
  async phase(
    name: string,
    planned: number,
    load: (port: number, during: () => Promise<void>) => Promise<{ done: number; clientErrors: number; checks?: Record<string, boolean>; notes?: string[] }>,
  ): Promise<PhaseResult> {
    const listening = await this.server.ask<{ port?: number; error?: string }>(`listen ${name}`);
    if (listening.port === undefined) throw new Error(`listen ${name}: ${listening.error ?? "no port"}`);
    const before = await this.stats();
    let during: Sample | undefined;
    const started = Date.now();
    process.stdout.write(`${name}: ${planned.toLocaleString("en")} ... `);
    const outcome = await load(listening.port, async () => {
      during ??= await this.stats();
    });
    const seconds = (Date.now() - started) / 1000;
    const drained = await this.server.ask<{ connections: number }>("drain 15000", 30_000);
    const after = await this.stats();
    await this.server.ask("stop");
    const result: PhaseResult = {
      name,
      planned,
      done: outcome.done,
      clientErrors: outcome.clientErrors,
      seconds,
      before,
      during: during ?? after,
      after,
      checks: { ...outcome.checks, "server drained": drained.connections === 0 },
      notes: outcome.notes ?? [],
    };
    console.log(`${outcome.done.toLocaleString("en")} done in ${seconds.toFixed(1)} s, ${outcome.clientErrors} client errors`);
    this.results.push(result);
    return result;
  }
}

function table(baseline: Sample, results: readonly PhaseResult[]): string {
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
  const errorCount = (s: Sample): number => Object.values(s.errors).reduce((a, b) => a + b, 0);
  const rows = [["phase", "done", "s", "fds b/d/a", "RSS MB b/d/a", "heap MB b/d/a", "conns d", "srv errors +", "client errors"]];
  for (const r of results) {
    rows.push([
      r.name,
      `${r.done}/${r.planned}`,
      r.seconds.toFixed(1),
      `${r.before.fds}/${r.during.fds}/${r.after.fds}`,
      `${mb(r.before.rss)}/${mb(r.during.rss)}/${mb(r.after.rss)}`,
      `${mb(r.before.heapUsed)}/${mb(r.during.heapUsed)}/${mb(r.after.heapUsed)}`,
      String(r.during.connections),
      String(errorCount(r.after) - errorCount(r.before)),
      String(r.clientErrors),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return `baseline (no listener): ${baseline.fds} fds, RSS ${mb(baseline.rss)} MB, heap ${mb(baseline.heapUsed)} MB\n${lines.join("\n")}`;
}

async function main(): Promise<void> {
  const limit = softFdLimit();
  const certDir = makePki();
  const server = nodeChild(0, "soak-server.js", [certDir], ["--expose-gc"]);
  let failed = false;
  try {
    await server.next<{ ready: boolean }>();
    const serverLimit = (await server.ask<{ fileLimit: number | null }>("limit")).fileLimit ?? undefined;
    // Each idle connection is one fd here and one in the server; keep room for everything else.
    const room = Math.min(limit ?? Infinity, serverLimit ?? Infinity) - 256;
    if (plan.idle > room) {
      console.log(
        `idle: capped at ${room} connections (open-file soft limit: runner ${limit ?? "?"}, server ${serverLimit ?? "?"}); ` +
          `raise it with \`ulimit -n ${plan.idle + 1024}\` before \`npm run soak\` for the full ${plan.idle}`,
      );
      plan.idle = Math.max(0, room);
    }
    console.log(`soak${quick ? " --quick" : ""}: server pid ${server.pid}, node ${process.version}, plan ${JSON.stringify(plan)}`);
    const soak = new Soak(server);
    const baseline = await soak.stats();
    if (!baseline.gc) console.log("note: the server has no global.gc; heap figures are without a full collection");
    const tlsOptions: tls.ConnectionOptions = { ca: readFileSync(join(certDir, "server.crt")), servername: "localhost" };
    try {
      await runPhases(soak, tlsOptions);
    } finally {
      const end = await soak.stats();
      failed = report(baseline, end, soak.results);
    }
  } finally {
    await server.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

async function runPhases(soak: Soak, tlsOptions: tls.ConnectionOptions): Promise<void> {
  // 1. idle: hold N connections, then close them all.
  await soak.phase("idle", plan.idle, async (port, during) => {
    const sockets: net.Socket[] = [];
    let clientErrors = 0;
    const done = await pool(plan.idle, 256, Date.now() + budgetMs.idle, async () => {
      const socket = await open(port, undefined);
      if (socket === undefined) clientErrors++;
      else {
        socket.on("error", () => clientErrors++);
        sockets.push(socket);
      }
    });
    await sleep(500); // let the server accept the last ones before sampling
    await during();
    for (const socket of sockets) socket.destroy();
    return { done: done - clientErrors, clientErrors };
  });

  // 2. churn and 3. TLS churn: connect, one round trip, close, `concurrency` in flight.
  const churn = async (name: string, count: number, secure: tls.ConnectionOptions | undefined, budget: number): Promise<void> => {
    await soak.phase(name, count, async (port, during) => {
      let clientErrors = 0;
      let ok = 0;
      const done = await pool(count, plan.concurrency, Date.now() + budget, async (i) => {
        if (await roundTrip(port, secure)) ok++;
        else clientErrors++;
        if (i === Math.floor(count / 2)) void during();
      });
      const rate = ok / Math.max(1, done);
      return { done: ok, clientErrors, checks: { "all cycles ran": done === count, "every round trip answered": rate === 1 } };
    });
  };
  await churn("churn", plan.churn, undefined, budgetMs.churn);
  await churn("tls", plan.tls, tlsOptions, budgetMs.tls);

  // 4. slowloris: one byte now, the next only after longer than the idle time-out.
  await soak.phase("slowloris", plan.slowloris, async (port, during) => {
    const idleMs = 2_000; // the idleTimeout of bench/soak-server.ts
    const everyMs = 3_000;
    let clientErrors = 0;
    let closedByServer = 0;
    const lived: number[] = [];
    const sockets: net.Socket[] = [];
    const closed: Array<Promise<void>> = [];
    await pool(plan.slowloris, 256, Date.now() + budgetMs.hostile, async () => {
      const socket = await open(port, undefined);
      if (socket === undefined) {
        clientErrors++;
        return;
      }
      sockets.push(socket);
      let lastByte = Date.now();
      socket.write("x");
      const drip = setInterval(() => {
        lastByte = Date.now();
        socket.write("x");
      }, everyMs);
      socket.on("error", () => {});
      socket.resume();
      closed.push(
        new Promise((resolve) => {
          socket.once("end", () => {
            closedByServer++;
            lived.push(Date.now() - lastByte);
          });
          socket.once("close", () => {
            clearInterval(drip);
            resolve();
          });
        }),
      );
    });
    await sleep(500); // let the server accept the last ones before sampling (well inside the idle time-out)
    await during();
    const bound = sleep(idleMs + everyMs + 10_000).then(() => "timeout");
    const outcome = await Promise.race([Promise.all(closed).then(() => "closed"), bound]);
    for (const socket of sockets) socket.destroy();
    const minLived = lived.length === 0 ? 0 : Math.min(...lived);
    return {
      done: closedByServer,
      clientErrors,
      checks: { "all closed by the server": outcome === "closed" && closedByServer === sockets.length, "none before the idle time-out": minLived >= idleMs * 0.9 },
      notes: [`closed ${(minLived / 1000).toFixed(2)}-${((lived.length === 0 ? 0 : Math.max(...lived)) / 1000).toFixed(2)} s after their last byte (idleTimeout 2 s, a byte every 3 s)`],
    };
  });

  // 5. silent handshakes: plain TCP to the TLS listener, no ClientHello.
  await soak.phase("silent", plan.silent, async (port, during) => {
    let clientErrors = 0;
    const closed: Array<Promise<number>> = [];
    const sockets: net.Socket[] = [];
    await pool(plan.silent, 256, Date.now() + budgetMs.hostile, async () => {
      const socket = await open(port, undefined);
      if (socket === undefined) {
        clientErrors++;
        return;
      }
      const opened = Date.now();
      sockets.push(socket);
      socket.on("error", () => {});
      socket.resume();
      closed.push(new Promise((resolve) => socket.once("close", () => resolve(Date.now() - opened))));
    });
    await during();
    // handshakeTimeout is 1 s in bench/soak-server.ts; the rest is slack for a loaded machine.
    const bound = sleep(1_000 + 10_000).then(() => undefined);
    const lived = await Promise.race([Promise.all(closed), bound]);
    for (const socket of sockets) socket.destroy();
    return {
      done: lived?.length ?? 0,
      clientErrors,
      checks: { "all closed by the handshake time-out": lived !== undefined && lived.length === plan.silent },
      notes: lived === undefined || lived.length === 0 ? [] : [`closed after ${(Math.min(...lived) / 1000).toFixed(2)}-${(Math.max(...lived) / 1000).toFixed(2)} s (handshakeTimeout 1 s)`],
    };
  });

  // 6. never-reading peers: the server writes until its write time-out closes the connection.
  await soak.phase("neverread", plan.neverread, async (port, during) => {
    const before = await soak.stats();
    const sockets: net.Socket[] = [];
    let clientErrors = 0;
    await pool(plan.neverread, 16, Date.now() + budgetMs.hostile, async () => {
      const socket = await open(port, undefined);
      if (socket === undefined) clientErrors++;
      else {
        socket.pause(); // never read: the kernel buffers fill and the server's writes stall
        socket.on("error", () => {});
        sockets.push(socket);
      }
    });
    await sleep(500); // a sampling point while the writes are stalled, not a synchronisation
    await during();
    // The server closes each after its write time-out; wait for that (bounded), then let go of ours.
    const drained = await soak.server.ask<{ connections: number }>("drain 20000", 30_000);
    const after = await soak.stats();
    for (const socket of sockets) socket.destroy();
    const timedOut = after.writeTimeouts - before.writeTimeouts;
    return {
      done: timedOut,
      clientErrors,
      checks: { "every write timed out": timedOut === sockets.length, "closed by the server": drained.connections === 0 },
    };
  });
}

/** Prints the table and verdicts, writes the JSON; returns whether anything failed. */
function report(baseline: Sample, end: Sample, results: readonly PhaseResult[]): boolean {
  console.log(`\n${table(baseline, results)}\n`);
  const verdicts: Array<[string, boolean]> = [];
  for (const r of results) {
    verdicts.push([`${r.name}: fds back to the phase's baseline (${r.before.fds} -> ${r.after.fds}, slack ${FD_SLACK})`, r.after.fds <= r.before.fds + FD_SLACK]);
    for (const [check, held] of Object.entries(r.checks)) verdicts.push([`${r.name}: ${check}`, held]);
  }
  verdicts.push([`process: fds back to baseline (${baseline.fds} -> ${end.fds}, slack ${FD_SLACK})`, end.fds <= baseline.fds + FD_SLACK]);
  for (const [line, held] of verdicts) console.log(`${held ? "ok  " : "FAIL"} ${line}`);
  for (const r of results) for (const note of r.notes) console.log(`     ${r.name}: ${note}`);
  const churn = results.find((r) => r.name === "churn");
  if (churn !== undefined) {
    const growth = (churn.after.heapUsed - churn.before.heapUsed) / 1048576;
    console.log(`heap growth over churn: ${growth >= 0 ? "+" : ""}${growth.toFixed(2)} MB over ${churn.done.toLocaleString("en")} cycles`);
  }
  const errors = Object.entries(end.errors).map(([code, n]) => `${code} x${n}`).join(", ");
  console.log(`server errors seen (onError, by code): ${errors || "none"}`);
  const dir = new URL("../../bench/results/", import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ quick, plan, node: process.version, baseline, end, results, verdicts }, null, 2)}\n`);
  console.log(`written ${file}`);
  return verdicts.some(([, held]) => !held);
}

await main();
