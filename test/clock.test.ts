/**
 * Time values past a Node timer's range (2^31 − 1 ms, about 24.8 days):
 * the real clock re-arms instead of firing after 1 ms with a
 * TimeoutOverflowWarning, and the time-out code (read deadlines, UDP
 * receives) fires neither early nor never. Pure code runs on a manual
 * clock; the real clock under node:test's mock.timers and on real timers.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it, mock } from "node:test";
import { MAX_TIMER_MS, realClock } from "../src/core/clock.js";
import { ReadTimeoutError, TcpError } from "../src/core/errors.js";
import { StreamReader } from "../src/core/stream-reader.js";
import { DatagramQueue } from "../src/udp/datagram-queue.js";
import { ManualClock } from "./helpers/manual-clock.js";

const DAY_MS = 24 * 3600 * 1000;

/** How `promise` stands once pending callbacks have run. */
async function state(promise: Promise<unknown>): Promise<"resolved" | "rejected" | "pending"> {
  const marker = new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")));
  return Promise.race([promise.then(() => "resolved" as const, () => "rejected" as const), marker]);
}

/** Collects process warnings until `stop()`. */
function watchWarnings(): { names: () => string[]; stop: () => void } {
  const seen: string[] = [];
  const onWarning = (warning: Error): void => void seen.push(warning.name);
  process.on("warning", onWarning);
  return { names: () => [...seen], stop: () => void process.off("warning", onWarning) };
}

describe("realClock", () => {
  afterEach(() => mock.timers.reset());

  it("a 35-day timer does not fire at 24.9 days and fires at 35 days (mock.timers)", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    let fired = 0;
    realClock.setTimer(35 * DAY_MS, () => fired++, undefined);
    mock.timers.tick(24.9 * DAY_MS);
    assert.equal(fired, 0, "not at 24.9 days (where an overflowing Node timer would have fired long before)");
    // mock.timers starts a timer armed during tick() at the tick's end, not at the due time of the
    // timer that armed it (a real event loop runs it on time): advance in hours to keep that small.
    let hours = 24.9 * 24;
    while (fired === 0 && hours < 36 * 24) {
      mock.timers.tick(3600 * 1000);
      hours++;
      if (fired === 0) assert.ok(hours <= 35 * 24 + 1, `still not fired after ${hours} hours`);
    }
    assert.equal(fired, 1);
    assert.ok(hours >= 35 * 24, `fired after ${hours} hours, before 35 days`);
  });

  it("clearTimer cancels a long timer between its parts; ref/unref pass through", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    let fired = 0;
    const timer = realClock.setTimer(60 * DAY_MS, () => fired++, undefined);
    timer.unref();
    timer.ref();
    mock.timers.tick(30 * DAY_MS);
    realClock.clearTimer(timer);
    mock.timers.tick(40 * DAY_MS);
    assert.equal(fired, 0);
  });

  it("a delay Node holds is one plain timer, with its argument", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    const seen: string[] = [];
    realClock.setTimer(MAX_TIMER_MS, (arg: string) => seen.push(arg), "max");
    mock.timers.tick(MAX_TIMER_MS - 1);
    assert.deepEqual(seen, []);
    mock.timers.tick(1);
    assert.deepEqual(seen, ["max"]);
  });

  it("on real timers: no TimeoutOverflowWarning, and no firing after 1 ms", async () => {
    const warnings = watchWarnings();
    let fired = false;
    const timer = realClock.setTimer(35 * DAY_MS, () => (fired = true), undefined);
    try {
      // Node runs timers in due order: one armed later for 5 ms runs after an overflowed (1 ms) one.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      assert.equal(fired, false);
      assert.deepEqual(warnings.names().filter((name) => name === "TimeoutOverflowWarning"), []);
    } finally {
      realClock.clearTimer(timer);
      warnings.stop();
    }
  });
});

describe("time-outs on a manual clock", () => {
  it("a StreamReader read with a 35-day deadline: pending at 24.9 days, ReadTimeoutError at 35", async () => {
    const clock = new ManualClock();
    const reader = new StreamReader({ highWaterMark: 1024, maxPendingReads: 4, clock });
    const read = reader.read({ kind: "chunk" }, { timeoutMs: 35 * DAY_MS });
    read.catch(() => {});
    clock.advance(24.9 * DAY_MS);
    assert.equal(await state(read), "pending");
    clock.advance(10.1 * DAY_MS);
    await assert.rejects(read, (error: unknown) => error instanceof ReadTimeoutError);
    // The bytes that come later are not lost to the timed-out read.
    reader.push(Buffer.from("late"));
    assert.equal((await reader.read({ kind: "chunk" }, { timeoutMs: 0 })).toString(), "late");
    reader.close(new TcpError("done"));
  });

  it("a UDP receive with a 35-day deadline: pending at 24.9 days, timed out at 35", async () => {
    const clock = new ManualClock();
    const queue = new DatagramQueue<string>({
      maxQueued: 4,
      maxPendingReceives: 4,
      timeoutError: () => new TcpError("Read timed out", { code: "ERR_READ_TIMEOUT" }),
      clock,
    });
    const receive = queue.receive({ timeoutMs: 35 * DAY_MS });
    receive.catch(() => {});
    clock.advance(24.9 * DAY_MS);
    assert.equal(await state(receive), "pending");
    clock.advance(10.1 * DAY_MS);
    await assert.rejects(receive, { code: "ERR_READ_TIMEOUT" });
    assert.equal(clock.pending, 0);
  });
});
