/**
 * `tcpkit listen`, run as a child process, with raw `node:net` sockets as
 * the peers: what they send arrives on stdout, stdin goes to them.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { CliProcess } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { destroyed, rawClient, readFully } from "./helpers/peers.js";

checkLeaksAfterEachTest();

async function startListen(...extra: string[]): Promise<{ listen: CliProcess; port: number }> {
  const listen = new CliProcess(["listen", "--port", "0", "--host", "127.0.0.1", ...extra]);
  try {
    const match = await listen.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, "stderr");
    return { listen, port: Number(match[1]) };
  } catch (error) {
    await listen.stop("SIGKILL");
    throw error;
  }
}

test("listen prints what a raw socket sends, sends it stdin, and exits 0 when it closes", { timeout: 30_000 }, async () => {
  const { listen, port } = await startListen();
  const socket = await rawClient(port);
  try {
    const payload = randomBytes(100_000);
    socket.write(payload);
    await listen.waitFor(/^connection from 127\.0\.0\.1:\d+$/m, "stderr");
    listen.child.stdin!.write("reply from stdin\n");
    assert.equal((await readFully(socket, 17)).toString(), "reply from stdin\n");
    socket.end();
    const result = await listen.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.equals(payload), "stdout holds exactly the bytes sent");
    assert.match(result.stderr, /^127\.0\.0\.1:\d+ closed$/m);
  } finally {
    await destroyed(socket);
    await listen.stop("SIGKILL");
  }
});

test("listen --keep-open serves several peers, sends stdin to all, and stops on Ctrl-C with 0", { timeout: 30_000 }, async () => {
  const { listen, port } = await startListen("--keep-open", "--hex");
  const first = await rawClient(port);
  const second = await rawClient(port);
  try {
    await listen.waitFor(/(connection from .*\n[^]*){2}/, "stderr");
    listen.child.stdin!.write("to all\n");
    const [toFirst, toSecond] = await Promise.all([readFully(first, 7), readFully(second, 7)]);
    assert.equal(toFirst.toString(), "to all\n");
    assert.equal(toSecond.toString(), "to all\n");
    first.write("A");
    await listen.waitFor(/\|A\|/, "stdout");
    first.end();
    await listen.waitFor(/closed$/m, "stderr");
    second.write("BB");
    await listen.waitFor(/^00000000  42 42 +\|BB\|$/m, "stdout");
    const result = await listen.stop("SIGINT");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString().split("\n").filter(Boolean).length, 2, "one dump line per chunk");
  } finally {
    await Promise.all([destroyed(first), destroyed(second)]);
    await listen.stop("SIGKILL");
  }
});
