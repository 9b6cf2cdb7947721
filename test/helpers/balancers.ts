/**
 * Real load balancers as test peers: HAProxy (`haproxy -f cfg -db`) and nginx's `stream`
 * module, each started in the foreground on loopback ports chosen at run time, awaited until it
 * listens, and killed after the test. Missing binaries are reported, so a test can skip with
 * the reason (CI installs both: `.ci/run`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./peers.js";
import { startPeer, type Peer } from "./processes.js";

/** The path of `name` on PATH (or in the sbin directories Debian uses), or `undefined`. */
function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"]) {
    const path = join(dir, name);
    if (dir !== "" && existsSync(path)) return path;
  }
  return undefined;
}

export const haproxyPath = findBinary("haproxy");
export const nginxPath = findBinary("nginx");

/** Where nginx keeps the dynamic `stream` module (Debian: libnginx-mod-stream), if it is one. */
const NGINX_STREAM_MODULES = ["/usr/lib/nginx/modules/ngx_stream_module.so", "/usr/lib64/nginx/modules/ngx_stream_module.so"];

/** Why the nginx tests cannot run here, or `undefined` when they can. */
export const nginxStreamMissing: string | undefined = (() => {
  if (nginxPath === undefined) return "nginx is not installed (CI installs nginx and libnginx-mod-stream: .ci/run)";
  const run = spawnSync(nginxPath, ["-V"], { encoding: "utf8" }); // prints its build flags on stderr
  const flags = `${run.stdout}${run.stderr}`;
  if (/--with-stream(?![_=])/.test(flags)) return undefined; // built in
  if (NGINX_STREAM_MODULES.some(existsSync)) return undefined;
  return "nginx has no stream module (CI installs libnginx-mod-stream: .ci/run)";
})();


/** A running balancer. */
export interface Balancer {
  readonly peer: Peer;
  /** Kills it and removes its files. */
  stop(): Promise<void>;
}

/** Resolves once a TCP connection to `port` succeeds; rejects if `exited` settles first. */
async function untilListening(port: number, exited: Promise<unknown>, describe: () => string): Promise<void> {
  let gone = false;
  void exited.then(
    () => (gone = true),
    () => (gone = true),
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (connected) return;
    if (gone || Date.now() > deadline) throw new Error(`the balancer did not listen on ${port}: ${describe()}`);
    // Nothing tells when another process starts listening: poll.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts a balancer from a configuration made for a set of fresh ports (the last one is a
 * frontend that only says "ready"); tries again with new ports if one was taken meanwhile.
 */
async function startBalancer(
  portCount: number,
  configure: (ports: number[], dir: string) => { file: string; args: string[]; config: string; name: string },
): Promise<{ balancer: Balancer; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), "tcpkit-lb-"));
    const ports = await Promise.all(Array.from({ length: portCount + 1 }, freePort));
    const { file, args, config, name } = configure(ports, dir);
    await writeFile(join(dir, name), config);
    const peer = startPeer(file, args, { cwd: dir, timeoutMs: 120_000 });
    const balancer: Balancer = {
      peer,
      async stop() {
        await peer.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
    try {
      await untilListening(ports[portCount]!, peer.exited, () => `${peer.stderr()}${peer.stdout()}`);
      return { balancer, ports: ports.slice(0, portCount) };
    } catch (error) {
      await balancer.stop();
      if (attempt === 3) throw error;
    }
  }
}

/** One HAProxy frontend → backend pair: the backend is a tcpkit listener, `server` the options of its line. */
export interface HaproxyRoute {
  readonly backendPort: number;
  /** The words after `server app 127.0.0.1:PORT`, e.g. `send-proxy-v2`. */
  readonly server: string;
}

/** The HAProxy configuration for `routes`, `frontends[i]` in front of `routes[i]`; `ready` answers readiness probes. */
export function haproxyConfig(routes: readonly HaproxyRoute[], frontends: readonly number[], ready: number): string {
  const lines = [
    "global",
    "    maxconn 4096",
    "defaults",
    "    mode tcp",
    "    timeout connect 5s",
    "    timeout client 30s",
    "    timeout server 30s",
    "frontend ready",
    `    bind 127.0.0.1:${ready}`,
    "    tcp-request connection reject",
  ];
  routes.forEach((route, i) => {
    lines.push(
      `frontend fe${i}`,
      `    bind 127.0.0.1:${frontends[i]}`,
      `    default_backend be${i}`,
      `backend be${i}`,
      `    server app 127.0.0.1:${route.backendPort} ${route.server}`,
    );
  });
  return `${lines.join("\n")}\n`;
}

/** Starts HAProxy with one frontend per route; resolves with the frontends' ports, in order. */
export async function startHaproxy(routes: readonly HaproxyRoute[]): Promise<{ balancer: Balancer; frontends: number[] }> {
  return startHaproxyWith(routes.length, (frontends, ready) => haproxyConfig(routes, frontends, ready));
}

/** Starts HAProxy with the configuration `configure` writes for `count` fresh frontend ports and a readiness port. */
export async function startHaproxyWith(
  count: number,
  configure: (frontends: number[], ready: number) => string,
): Promise<{ balancer: Balancer; frontends: number[] }> {
  const { balancer, ports } = await startBalancer(count, (ports, dir) => ({
    file: haproxyPath!,
    name: "haproxy.cfg",
    config: configure(ports.slice(0, count), ports[count]!),
    args: ["-f", join(dir, "haproxy.cfg"), "-db"],
  }));
  return { balancer, frontends: ports };
}

/**
 * The nginx configuration around a `stream { ... }` block: the module, foreground, logs on
 * stderr, and a `ready` server added to the block for readiness probes.
 */
export function nginxConfig(streamBlock: string, ready: number, dir: string): string {
  const module = NGINX_STREAM_MODULES.find(existsSync);
  const end = streamBlock.lastIndexOf("}");
  const withReady = `${streamBlock.slice(0, end)}    server {\n        listen 127.0.0.1:${ready};\n        return "ready\\n";\n    }\n}\n`;
  return [
    ...(module === undefined ? [] : [`load_module ${module};`]),
    "daemon off;",
    "master_process off;",
    `pid ${join(dir, "nginx.pid")};`,
    "error_log stderr warn;",
    "events {}",
    withReady,
  ].join("\n");
}

/** The `stream` block of a `proxy_protocol on` server in front of `backendPort`. */
export function nginxStreamBlock(frontend: number, backendPort: number): string {
  return [
    "stream {",
    "    server {",
    `        listen 127.0.0.1:${frontend};`,
    `        proxy_pass 127.0.0.1:${backendPort};`,
    "        proxy_protocol on;",
    "    }",
    "}",
    "",
  ].join("\n");
}

/** Starts nginx with the `stream` block `configure` writes for a fresh frontend port; resolves with that port. */
export async function startNginx(configure: (frontend: number) => string): Promise<{ balancer: Balancer; frontend: number }> {
  const { balancer, ports } = await startBalancer(1, (ports, dir) => ({
    file: nginxPath!,
    name: "nginx.conf",
    config: nginxConfig(configure(ports[0]!), ports[1]!, dir),
    args: ["-e", "stderr", "-p", dir, "-c", join(dir, "nginx.conf")],
  }));
  return { balancer, frontend: ports[0]! };
}
