/**
 * TLS echo servers for the benchmark, and the throw-away certificate they use.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type net from "node:net";
import { join } from "node:path";
import tls from "node:tls";

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
): Promise<number> {
  const key = readFileSync(join(certDir, "key.pem"));
  const cert = readFileSync(join(certDir, "cert.pem"));
  if (kind === "tcpkit") throw new Error("tcpkit has no TLS listener yet");
  const server = tls.createServer({ key, cert, noDelay: true }, rawEchoSocket);
  server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 });
  await new Promise((resolve) => server.once("listening", resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Whether this build of tcpkit can listen with TLS (the TLS work lands separately). */
export function tcpkitHasTls(): boolean {
  return false;
}
