/**
 * A Listener behind real load balancers that speak the PROXY protocol: HAProxy (`send-proxy`,
 * `send-proxy-v2`, TLS passed through in `mode tcp`, many concurrent clients) and nginx's
 * `stream` module (`proxy_protocol on`). The configurations are the ones docs/load-balancer.md
 * shows. Skipped with the reason when a binary is missing; CI installs both (.ci/run).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Client, Listener, type Caller, type ClientConfiguration, type ListenerConfiguration, type Service } from "../src/index.js";
import {
  haproxyPath,
  nginxStreamBlock,
  nginxStreamMissing,
  startHaproxy,
  startHaproxyWith,
  startNginx,
  type Balancer,
} from "./helpers/balancers.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** What the service says about a connection when asked with `who\n`. */
interface Seen {
  remote: string;
  local: string;
  via: string;
  version: number | undefined;
  tls: boolean;
}

/** Answers `who\n` with the caller's addresses as a JSON line; echoes everything else. */
const whoAmI: Service = {
  onConnect: (caller) => ({
    onBytes(data) {
      if (Buffer.from(data).toString() !== "who\n") return data;
      const proxy = caller.proxy;
      const seen: Seen = {
        remote: `${caller.remoteHost}:${caller.remotePort}`,
        local: `${caller.localHost}:${caller.localPort}`,
        via: proxy === undefined ? "" : `${proxy.via.host}:${proxy.via.port}`,
        version: proxy?.version,
        tls: caller.tls !== undefined,
      };
      return `${JSON.stringify(seen)}\n`;
    },
  }),
};

async function startWhoAmI(config: ListenerConfiguration): Promise<Listener> {
  const listener = new Listener(0, { localHost: "127.0.0.1", ...config });
  listener.attach(whoAmI);
  await listener.start();
  return listener;
}

/** Connects through the balancer, asks `who`, echoes `echoBytes` bytes, and closes. */
async function askThrough(port: number, config: ClientConfiguration = {}, echoBytes = 0): Promise<{ seen: Seen; localPort: number }> {
  const host = config.secureSocket === undefined ? "127.0.0.1" : "localhost";
  const client = await Client.connect(host, port, { timeout: 10, ...config });
  try {
    const localPort = client.localPort;
    await client.writeBytes("who\n");
    const seen = JSON.parse(Buffer.from(await client.readUntil("\n")).toString()) as Seen;
    if (echoBytes > 0) {
      const payload = randomBytes(echoBytes);
      const [, echoed] = await Promise.all([client.writeBytes(payload), client.readExactly(echoBytes)]);
      assert.ok(Buffer.from(echoed).equals(payload), "the stream after the header is intact");
    }
    return { seen, localPort };
  } finally {
    await client.close();
  }
}

describe("behind HAProxy", { skip: haproxyPath === undefined ? "haproxy is not installed (CI installs it: .ci/run)" : false }, () => {
  const listeners: Listener[] = [];
  let haproxy: Balancer | undefined;
  let frontends: number[] = [];

  before(async () => {
    const v1 = await startWhoAmI({ proxyProtocol: "v1", trustedProxies: ["127.0.0.1"] });
    const v2 = await startWhoAmI({ proxyProtocol: "v2" });
    const secure = await startWhoAmI({
      proxyProtocol: true,
      secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey } },
    });
    listeners.push(v1, v2, secure);
    const started = await startHaproxy([
      { backendPort: v1.localPort, server: "send-proxy" },
      { backendPort: v2.localPort, server: "send-proxy-v2" },
      { backendPort: secure.localPort, server: "send-proxy-v2" },
    ]);
    haproxy = started.balancer;
    frontends = started.frontends;
  });

  after(async () => {
    await haproxy?.stop();
    await Promise.all(listeners.map((listener) => listener.gracefulStop()));
  });

  test("send-proxy (v1): the caller sees the client's address and port, and HAProxy as via", async () => {
    const { seen, localPort } = await askThrough(frontends[0]!, {}, 256 * 1024);
    assert.equal(seen.version, 1);
    assert.equal(seen.remote, `127.0.0.1:${localPort}`);
    assert.equal(seen.local, `127.0.0.1:${frontends[0]}`);
    assert.match(seen.via, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(seen.via, seen.remote);
  });

  test("send-proxy-v2: the same through the binary header", async () => {
    const { seen, localPort } = await askThrough(frontends[1]!, {}, 256 * 1024);
    assert.equal(seen.version, 2);
    assert.equal(seen.remote, `127.0.0.1:${localPort}`);
    assert.equal(seen.local, `127.0.0.1:${frontends[1]}`);
  });

  test("TLS passed through (mode tcp) with send-proxy-v2 to a TLS listener", async () => {
    const { seen, localPort } = await askThrough(frontends[2]!, { secureSocket: { cert: pki.caCert } }, 64 * 1024);
    assert.equal(seen.tls, true);
    assert.equal(seen.version, 2);
    assert.equal(seen.remote, `127.0.0.1:${localPort}`);
  });

  test("50 concurrent clients each see their own source port", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => askThrough(frontends[i % 2]!)));
    for (const { seen, localPort } of results) assert.equal(seen.remote, `127.0.0.1:${localPort}`);
    // Linux may give two connections to different frontends the same source port: distinct per frontend.
    assert.equal(new Set(results.map((r, i) => `${frontends[i % 2]!}|${r.localPort}`)).size, 50);
  });

  test("50 concurrent TLS clients each see their own source port", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => askThrough(frontends[2]!, { secureSocket: { cert: pki.caCert } })));
    for (const { seen, localPort } of results) assert.equal(seen.remote, `127.0.0.1:${localPort}`);
  });
});

describe("HAProxy health checks", { skip: haproxyPath === undefined ? "haproxy is not installed (CI installs it: .ci/run)" : false }, () => {
  test("check-send-proxy with send-proxy-v2: a LOCAL header, served with the socket's addresses", async () => {
    const local = deferred<Caller>();
    const listener = new Listener(0, { localHost: "127.0.0.1", proxyProtocol: "v2" });
    listener.attach({
      onConnect(caller) {
        if (caller.proxy?.command === "LOCAL") local.resolve(caller);
      },
    });
    await listener.start();
    const { balancer } = await startHaproxy([{ backendPort: listener.localPort, server: "send-proxy-v2 check check-send-proxy inter 100ms" }]);
    try {
      const caller = await local.promise;
      assert.equal(caller.proxy?.source, undefined);
      assert.equal(caller.remoteHost, "127.0.0.1");
      assert.equal(caller.remotePort, caller.proxy?.via.port);
      assert.equal(caller.localPort, listener.localPort);
    } finally {
      await balancer.stop();
      await listener.immediateStop();
    }
  });
});

describe("behind nginx stream", { skip: nginxStreamMissing ?? false }, () => {
  let listener: Listener | undefined;
  let nginx: Balancer | undefined;
  let frontend = 0;

  before(async () => {
    listener = await startWhoAmI({ proxyProtocol: "v1", trustedProxies: ["127.0.0.1", "::1"] });
    const backendPort = listener.localPort;
    const started = await startNginx((frontend) => nginxStreamBlock(frontend, backendPort));
    nginx = started.balancer;
    frontend = started.frontend;
  });

  after(async () => {
    await nginx?.stop();
    await listener?.gracefulStop();
  });

  test("proxy_protocol on: the caller sees the client's address and port", async () => {
    const { seen, localPort } = await askThrough(frontend, {}, 256 * 1024);
    assert.equal(seen.version, 1);
    assert.equal(seen.remote, `127.0.0.1:${localPort}`);
    assert.equal(seen.local, `127.0.0.1:${frontend}`);
  });

  test("20 concurrent clients each see their own source port", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => askThrough(frontend)));
    for (const { seen, localPort } of results) assert.equal(seen.remote, `127.0.0.1:${localPort}`);
  });
});

describe("the configurations in docs/load-balancer.md", () => {
  const docs = readFileSync(new URL("../../docs/load-balancer.md", import.meta.url), "utf8");
  const block = (language: string): string => {
    const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(docs);
    assert.ok(match !== null, `docs/load-balancer.md has a ${language} block`);
    return match[1]!;
  };

  test("HAProxy: plain and TLS, with the documented ports moved to free ones", { skip: haproxyPath === undefined ? "haproxy is not installed" : false }, async () => {
    const plain = await startWhoAmI({ proxyProtocol: true });
    const secure = await startWhoAmI({ proxyProtocol: true, secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey } } });
    const { balancer, frontends } = await startHaproxyWith(2, ([app, appTls], ready) =>
      block("haproxy")
        .replace("bind :8000", `bind 127.0.0.1:${app}`)
        .replace("bind :8443", `bind 127.0.0.1:${appTls}`)
        .replace("127.0.0.1:7000", `127.0.0.1:${plain.localPort}`)
        .replace("127.0.0.1:7443", `127.0.0.1:${secure.localPort}`) +
      `frontend ready\n    bind 127.0.0.1:${ready}\n    tcp-request connection reject\n`,
    );
    try {
      const viaPlain = await askThrough(frontends[0]!);
      assert.equal(viaPlain.seen.remote, `127.0.0.1:${viaPlain.localPort}`);
      const viaTls = await askThrough(frontends[1]!, { secureSocket: { cert: pki.caCert } });
      assert.equal(viaTls.seen.remote, `127.0.0.1:${viaTls.localPort}`);
      assert.equal(viaTls.seen.tls, true);
    } finally {
      await balancer.stop();
      await Promise.all([plain.gracefulStop(), secure.gracefulStop()]);
    }
  });

  test("nginx stream, with the documented ports moved to free ones", { skip: nginxStreamMissing ?? false }, async () => {
    const listener = await startWhoAmI({ proxyProtocol: true });
    const { balancer, frontend } = await startNginx((port) =>
      block("nginx").replace("listen 8000;", `listen 127.0.0.1:${port};`).replace("127.0.0.1:7000", `127.0.0.1:${listener.localPort}`),
    );
    try {
      const { seen, localPort } = await askThrough(frontend);
      assert.equal(seen.remote, `127.0.0.1:${localPort}`);
      assert.equal(seen.version, 1);
    } finally {
      await balancer.stop();
      await listener.gracefulStop();
    }
  });
});
