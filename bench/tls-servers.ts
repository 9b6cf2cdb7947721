/**
 * TLS echo servers for the benchmark, and the throw-away certificate they use.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { Listener } from "../src/index.js";

/** Makes (once) a self-signed P-256 certificate for localhost in `dir`; returns false without openssl. */
export function ensureCertificate(dir: string): boolean {
  const cert = join(dir, "cert.pem");
  if (existsSync(cert)) return true;
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", cert, "-days", "3650", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return result.status === 0 && existsSync(cert);
}

/** Starts a TLS echo server of `kind` on 127.0.0.1:0 and returns its port. */
export async function tlsEchoServer(
  kind: "tcpkit" | "raw",
  certDir: string,
  rawEchoSocket: (socket: net.Socket) => void,
): Promise<{ port: number; connections?: () => number }> {
  const keyFile = join(certDir, "key.pem");
  const certFile = join(certDir, "cert.pem");
  if (kind === "tcpkit") {
    const echo = { onBytes: (data: Uint8Array) => data };
    const listener = new Listener(0, { localHost: "127.0.0.1", secureSocket: { key: { certFile, keyFile } } });
    listener.attach({ onConnect: () => echo });
    await listener.start();
    return { port: listener.localPort, connections: () => listener.connectionCount };
  }
  const server = tls.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile), noDelay: true }, rawEchoSocket);
  // No backlog option: Node's default (511), what tcpkit's Listener listens with (the cell checks).
  server.listen({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  return { port: (server.address() as net.AddressInfo).port };
}

