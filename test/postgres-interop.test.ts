/**
 * PostgreSQL's SSLRequest against a real server: a tcpkit client sends the
 * 8-byte request, reads the server's 'S', upgrades with `startTls`, and then
 * speaks the protocol over TLS with a user-written codec for backend messages
 * (a type byte and a 4-byte length that counts itself): start-up, a query,
 * and the server's own word (pg_stat_ssl) that the session is encrypted.
 * The server runs from a throw-away data directory, as the `postgres` user
 * when the tests run as root (initdb refuses root).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client, TcpError, type ByteView, type Codec, type DecodedFrame } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { startPeer, type Peer } from "./helpers/processes.js";
import { requireTool } from "./helpers/tools.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** The server binaries of the newest PostgreSQL installed the Debian way, if any. */
function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

const bin = postgresBin();
const asRoot = process.getuid?.() === 0;
/** uid and gid of the `postgres` user, for running the server when we are root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  const id = (flag: string): number => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  return Number.isInteger(uid) && uid > 0 ? { uid, gid: id("-g") } : undefined;
}
const user = asRoot ? postgresUser() : undefined;
const skip =
  requireTool("openssl") ||
  (process.env["TCPKIT_REQUIRE_TOOLS"] !== "1" && bin === undefined
    ? "needs PostgreSQL's server (/usr/lib/postgresql/*/bin/postgres; apt-get install postgresql)"
    : false) ||
  (process.env["TCPKIT_REQUIRE_TOOLS"] !== "1" && asRoot && user === undefined ? "running as root needs a postgres user to run the server" : false);

/** A backend message: its type byte and its body. */
interface PgMessage {
  readonly type: string;
  readonly body: Uint8Array;
}

/** PostgreSQL's backend messages as frames: a type byte, a big-endian 4-byte length that counts itself, the body. */
const pgMessages: Codec<PgMessage> = {
  maxLength: 1024 * 1024,
  createDecoder: () => ({
    decode(view: ByteView): DecodedFrame<PgMessage> | undefined {
      if (view.length < 5) return undefined;
      const length = ((view.byteAt(1) << 24) | (view.byteAt(2) << 16) | (view.byteAt(3) << 8) | view.byteAt(4)) >>> 0;
      if (length < 4 || length > 1024 * 1024) {
        throw new TcpError(`Frame longer than 1048576 bytes (pg): length ${length}`, { code: "ERR_FRAME_TOO_LONG" });
      }
      if (view.length < 1 + length) return undefined;
      return { frame: { type: String.fromCharCode(view.byteAt(0)), body: view.slice(5, 1 + length) }, consumed: 1 + length };
    },
  }),
  encode({ type, body }: PgMessage): Uint8Array[] {
    const header = Buffer.alloc(5);
    header.write(type, 0, "latin1");
    header.writeUInt32BE(body.length + 4, 1);
    return [header, body];
  },
};

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The StartupMessage (no type byte): protocol 3.0 and the parameters. */
function startup(parameters: Record<string, string>): Buffer {
  const pairs = Object.entries(parameters).flatMap(([k, v]) => [Buffer.from(`${k}\0${v}\0`)]);
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), ...pairs, Buffer.from([0])]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

/** The text columns of a DataRow body. */
function dataRow(body: Uint8Array): (string | null)[] {
  const b = Buffer.from(body);
  const columns: (string | null)[] = [];
  let at = 2;
  for (let i = 0; i < b.readUInt16BE(0); i++) {
    const size = b.readInt32BE(at);
    at += 4;
    columns.push(size < 0 ? null : b.subarray(at, at + size).toString());
    at += Math.max(0, size);
  }
  return columns;
}

describe("a tcpkit client upgrading with PostgreSQL's SSLRequest", { skip }, () => {
  let server: Peer | undefined;
  let dir = "";
  let port = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tcpkit-pg-"));
    const data = join(dir, "data");
    const asUser = (file: string, args: string[]): [string, string[]] =>
      asRoot ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
    if (user !== undefined) chownSync(dir, user.uid, user.gid);
    const [initFile, initArgs] = asUser(join(bin!, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
    const init = spawnSync(initFile, initArgs, { encoding: "utf8", timeout: 60_000 });
    assert.equal(init.status, 0, `initdb failed: ${init.stderr}`);
    // The server's key must belong to the user that runs it and be readable by it only.
    copyFileSync(pki.serverCert, join(dir, "server.crt"));
    copyFileSync(pki.serverKey, join(dir, "server.key"));
    chmodSync(join(dir, "server.key"), 0o600);
    if (user !== undefined) {
      chownSync(join(dir, "server.crt"), user.uid, user.gid);
      chownSync(join(dir, "server.key"), user.uid, user.gid);
    }
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const [file, args] = asUser(join(bin!, "postgres"), [
      "-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", dir,
      "-c", "ssl=on", "-c", `ssl_cert_file=${join(dir, "server.crt")}`, "-c", `ssl_key_file=${join(dir, "server.key")}`,
      "-c", "fsync=off",
    ]);
    server = startPeer(file, args, { cwd: dir, timeoutMs: 120_000 });
    await server.waitFor(/database system is ready to accept connections/, "stderr");
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("SSLRequest, 'S', startTls; then start-up and a query over TLS, and pg_stat_ssl says so", async () => {
    const client = await Client.connect("localhost", port, { timeout: 10 });
    try {
      await client.writeBytes(SSL_REQUEST);
      assert.equal(Buffer.from(await client.readExactly(1)).toString(), "S");
      await client.startTls({ cert: pki.caCert });
      assert.equal(client.tls?.peerVerified, true);

      await client.writeBytes(startup({ user: "postgres", database: "postgres" }));
      const seen: string[] = [];
      for (;;) {
        const message = await client.readFrame(pgMessages);
        seen.push(message.type);
        if (message.type === "E") assert.fail(`server error: ${Buffer.from(message.body).toString()}`);
        if (message.type === "Z") break; // ReadyForQuery
      }
      assert.equal(seen[0], "R"); // AuthenticationOk (trust)

      const sql = "SELECT ssl::text, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
      await client.writeFrame(pgMessages, { type: "Q", body: Buffer.from(`${sql}\0`) });
      let row: (string | null)[] | undefined;
      for (;;) {
        const message = await client.readFrame(pgMessages);
        if (message.type === "E") assert.fail(`server error: ${Buffer.from(message.body).toString()}`);
        if (message.type === "D") row = dataRow(message.body);
        if (message.type === "Z") break;
      }
      assert.deepEqual(row, ["true", client.tls?.protocol]);
      await client.writeFrame(pgMessages, { type: "X", body: new Uint8Array(0) }); // Terminate
    } finally {
      await client.close();
    }
  });
});
