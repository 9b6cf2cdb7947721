/**
 * STARTTLS against independent implementations: `openssl s_client
 * -starttls smtp|imap|postgres` against tcpkit listeners that implement the
 * server side of those protocols' upgrade, and a tcpkit client that sends a
 * mail through a real SMTP server (Python's aiosmtpd, which refuses MAIL
 * before STARTTLS) after upgrading. Every process is bounded in time and
 * awaited.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client, Listener, lines, type Caller, type ConnectionService, type ListenerSecureSocket, type TcpError } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { freePort } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { startPeer, type Peer } from "./helpers/processes.js";
import { SYSTEM_PYTHON, requirePythonModule, requireTool } from "./helpers/tools.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();
const skip = requireTool("openssl");

const text = lines({ maxLength: 1000 });
const encode = (line: string): Uint8Array => Buffer.from(line);
const decode = (line: Uint8Array): string => Buffer.from(line).toString();
const serverTls = (): ListenerSecureSocket => ({ key: { certFile: pki.serverCert, keyFile: pki.serverKey } });

/** Starts a listener whose connections get `make(caller)`; `errors` collects every error. */
async function withListener(
  make: (caller: Caller) => ConnectionService,
  body: (port: number, errors: TcpError[]) => Promise<void>,
): Promise<void> {
  const listener = new Listener(0, { localHost: "127.0.0.1" });
  const errors: TcpError[] = [];
  listener.attach({
    onConnect: (caller) => ({ ...make(caller), onError: (error) => void errors.push(error) }),
    onError: (error) => void errors.push(error),
  });
  await listener.start();
  try {
    await body(listener.localPort, errors);
  } finally {
    await listener.immediateStop();
  }
}

/** The server side of SMTP, as far as `openssl s_client -starttls smtp` goes (RFC 3207). */
function smtpServer(caller: Caller): ConnectionService {
  void caller.writeBytes("220 tcpkit ESMTP ready\r\n");
  return {
    framing: text,
    async onFrame(frame: Uint8Array) {
      const line = decode(frame);
      const verb = line.split(" ")[0]!.toUpperCase();
      if (verb === "EHLO") {
        const tlsOn = caller.tls !== undefined;
        await caller.writeFrame(encode(`250-tcpkit greets ${line.slice(5)} over ${caller.tls?.protocol ?? "plain TCP"}`));
        return encode(tlsOn ? "250 SIZE 1000000" : "250 STARTTLS");
      }
      if (verb === "STARTTLS") {
        if (caller.tls !== undefined) return encode("503 TLS already active");
        await caller.writeFrame(encode("220 Ready to start TLS"));
        await caller.startTls(serverTls());
        return undefined;
      }
      if (verb === "QUIT") {
        await caller.writeFrame(encode("221 Bye"));
        await caller.close();
        return undefined;
      }
      return encode("502 Command not implemented");
    },
  };
}

/** The server side of IMAP's STARTTLS (RFC 3501), as `openssl s_client -starttls imap` drives it. */
function imapServer(caller: Caller): ConnectionService {
  void caller.writeBytes("* OK tcpkit IMAP4rev1 ready\r\n");
  return {
    framing: text,
    async onFrame(frame: Uint8Array) {
      const [tag, command = ""] = decode(frame).split(" ");
      switch (command.toUpperCase()) {
        case "CAPABILITY":
          await caller.writeFrame(encode(`* CAPABILITY IMAP4rev1${caller.tls === undefined ? " STARTTLS" : ""}`));
          return encode(`${tag} OK CAPABILITY completed`);
        case "STARTTLS":
          await caller.writeFrame(encode(`${tag} OK Begin TLS negotiation now`));
          await caller.startTls(serverTls());
          return undefined;
        case "NOOP":
          return encode(`${tag} OK NOOP over ${caller.tls?.protocol ?? "plain TCP"}`);
        case "LOGOUT":
          await caller.writeFrame(encode("* BYE"));
          await caller.close();
          return encode(`${tag} OK LOGOUT completed`);
        default:
          return encode(`${tag} BAD unknown command`);
      }
    },
  };
}

/** PostgreSQL's SSLRequest (8 bytes: length 8, code 80877103) answered with 'S', then TLS; after it, an echo. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
function postgresServer(caller: Caller): ConnectionService {
  return {
    async onBytes(data) {
      if (caller.tls !== undefined) return Buffer.concat([Buffer.from("pg over TLS: "), data]);
      const bytes = Buffer.from(data);
      if (!bytes.subarray(0, 8).equals(SSL_REQUEST)) {
        await caller.writeBytes("N");
        await caller.close();
        return undefined;
      }
      await caller.writeBytes("S");
      await caller.startTls(serverTls(), { unconsumed: bytes.subarray(8) });
      return undefined;
    },
  };
}

function sClient(port: number, protocol: string): Peer {
  return startPeer(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-starttls", protocol, "-servername", "localhost", "-CAfile", pki.caCert,
      // -nocommands: a line starting with Q (QUIT) is sent, not taken as "quit s_client".
      "-verify_return_error", "-brief", "-crlf", "-no_ign_eof", "-nocommands"],
    { cwd: pki.dir },
  );
}

async function finished(peer: Peer): Promise<number | null> {
  try {
    return await peer.exited;
  } finally {
    await peer.stop();
  }
}

describe("openssl s_client -starttls against tcpkit listeners", { skip }, () => {
  test("smtp: greeting, EHLO, STARTTLS, then EHLO and QUIT over TLS 1.3", async () => {
    await withListener(smtpServer, async (port, errors) => {
      const peer = sClient(port, "smtp");
      try {
        await peer.waitFor(/CONNECTION ESTABLISHED/, "stderr");
        peer.child.stdin.write("EHLO after.example\n");
        await peer.waitFor(/250-tcpkit greets after\.example over TLSv1\.3\r?\n250 SIZE 1000000/);
        peer.child.stdin.write("QUIT\n");
        await peer.waitFor(/221 Bye/);
        peer.child.stdin.end();
        assert.equal(await finished(peer), 0);
        assert.match(peer.stderr(), /Verification: OK/);
        assert.match(peer.stderr(), /Protocol version: TLSv1\.3/);
        // Nothing of the plain-text part reached s_client's output: it consumed it before the handshake.
        assert.doesNotMatch(peer.stdout(), /220 tcpkit ESMTP/);
        assert.deepEqual(errors, []);
      } finally {
        await peer.stop();
      }
    });
  });

  test("imap: greeting, CAPABILITY, STARTTLS, then NOOP and LOGOUT over TLS", async () => {
    await withListener(imapServer, async (port, errors) => {
      const peer = sClient(port, "imap");
      try {
        await peer.waitFor(/CONNECTION ESTABLISHED/, "stderr");
        peer.child.stdin.write("a1 NOOP\n");
        await peer.waitFor(/a1 OK NOOP over TLSv1\.3/);
        peer.child.stdin.write("a2 LOGOUT\n");
        await peer.waitFor(/\* BYE/);
        peer.child.stdin.end();
        assert.equal(await finished(peer), 0);
        assert.match(peer.stderr(), /Verification: OK/);
        assert.deepEqual(errors, []);
      } finally {
        await peer.stop();
      }
    });
  });

  test("postgres: SSLRequest, 'S', then TLS; the bytes that follow reach onBytes decrypted", async () => {
    await withListener(postgresServer, async (port, errors) => {
      const peer = sClient(port, "postgres");
      try {
        await peer.waitFor(/CONNECTION ESTABLISHED/, "stderr");
        peer.child.stdin.write("hello\n");
        await peer.waitFor(/pg over TLS: hello/);
        peer.child.stdin.end();
        assert.equal(await finished(peer), 0);
        assert.match(peer.stderr(), /Verification: OK/);
        assert.deepEqual(errors, []);
      } finally {
        await peer.stop();
      }
    });
  });
});

/** Reads one SMTP reply (all its lines, `250-...` up to `250 ...`). */
async function smtpReply(client: Client): Promise<string[]> {
  const replyLines: string[] = [];
  for (;;) {
    const line = decode(await client.readFrame(text));
    replyLines.push(line);
    if (line.length < 4 || line[3] !== "-") return replyLines;
  }
}

const skipSmtp = requireTool("openssl") || requirePythonModule("aiosmtpd", "python3-aiosmtpd");

describe("a tcpkit client against a real SMTP server (aiosmtpd)", { skip: skipSmtp }, () => {
  test("EHLO, STARTTLS, startTls, EHLO again and a whole mail, which the server prints", async () => {
    const port = await freePort();
    const server = startPeer(
      SYSTEM_PYTHON,
      ["-u", "-m", "aiosmtpd", "-n", "-d", "-l", `127.0.0.1:${port}`, "--tlscert", pki.serverCert, "--tlskey", pki.serverKey],
      { cwd: pki.dir, timeoutMs: 30_000 },
    );
    try {
      await server.waitFor(/Server is listening/, "stderr");
      const client = await Client.connect("localhost", port, { timeout: 10 });
      try {
        assert.match((await smtpReply(client))[0]!, /^220 /);
        await client.writeFrame(text, encode("EHLO tcpkit.test"));
        assert.ok((await smtpReply(client)).some((line) => /STARTTLS/.test(line)), "the server offers STARTTLS");
        // aiosmtpd refuses mail before TLS: the proof that the upgrade below is what it sees.
        await client.writeFrame(text, encode("MAIL FROM:<a@tcpkit.test>"));
        assert.match((await smtpReply(client))[0]!, /^530 /);
        await client.writeFrame(text, encode("STARTTLS"));
        assert.match((await smtpReply(client))[0]!, /^220 /);
        await client.startTls({ cert: pki.caCert });
        assert.equal(client.tls?.peerVerified, true);
        await client.writeFrame(text, encode("EHLO tcpkit.test"));
        const ehlo = await smtpReply(client);
        assert.match(ehlo[0]!, /^250/);
        assert.ok(!ehlo.some((line) => /STARTTLS/.test(line)), "no STARTTLS offered once TLS is on");
        for (const [command, code] of [
          ["MAIL FROM:<a@tcpkit.test>", /^250 /],
          ["RCPT TO:<b@tcpkit.test>", /^250 /],
          ["DATA", /^354 /],
        ] as const) {
          await client.writeFrame(text, encode(command));
          assert.match((await smtpReply(client))[0]!, code);
        }
        await client.writeBytes("Subject: over STARTTLS\r\n\r\nsent by tcpkit through TLS\r\n.\r\n");
        assert.match((await smtpReply(client))[0]!, /^250 /);
        await client.writeFrame(text, encode("QUIT"));
        assert.match((await smtpReply(client))[0]!, /^221 /);
      } finally {
        await client.close();
      }
      await server.waitFor(/sent by tcpkit through TLS/);
    } finally {
      await server.stop();
    }
  });
});
