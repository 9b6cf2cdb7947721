/**
 * The listener connection's lifecycle (src/tcp/connection-lifecycle.ts)
 * without sockets: every transition of its table through a recording port,
 * then properties over random event sequences, against a model of a socket
 * and a service that only produces events a real one can.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConnectionLifecycle, type LifecyclePort, type WriteBack } from "../src/tcp/connection-lifecycle.js";

/** What the service's onEnd does when the port runs it. */
type OnEnd = "none" | "sync" | "async" | "full" | "close";

/** Records every port call; runs `onEnd` as told. */
class RecordingPort implements LifecyclePort {
  readonly calls: string[] = [];
  lifecycle!: ConnectionLifecycle;
  onEnd: OnEnd = "none";

  pause(): void {
    this.calls.push("pause");
  }
  resume(): void {
    this.calls.push("resume");
  }
  startReading(): void {
    this.calls.push("startReading");
  }
  discard(): void {
    this.calls.push("discard");
  }
  endWrite(peerEnded: boolean): void {
    this.calls.push(`endWrite(${peerEnded})`);
  }
  destroy(): void {
    this.calls.push("destroy");
  }
  keepIdle(): void {
    this.calls.push("keepIdle");
  }
  runOnEnd(): void {
    this.calls.push("runOnEnd");
    if (this.onEnd === "async") this.lifecycle.handlerStarted();
    else if (this.onEnd === "full") this.lifecycle.wroteBack("full");
    else if (this.onEnd === "close") this.lifecycle.closeRequested();
  }
  release(): void {
    this.calls.push("release");
  }
  runOnClose(): void {
    this.calls.push("runOnClose");
  }
  closeLate(): void {
    this.calls.push("closeLate");
  }
}

const EVENTS = {
  connected: (l: ConnectionLifecycle) => l.connected(),
  refused: (l: ConnectionLifecycle) => l.refused(),
  handlerStarted: (l: ConnectionLifecycle) => l.handlerStarted(),
  "handlerSettled:none": (l: ConnectionLifecycle) => l.handlerSettled("none"),
  "handlerSettled:queued": (l: ConnectionLifecycle) => l.handlerSettled("queued"),
  "handlerSettled:full": (l: ConnectionLifecycle) => l.handlerSettled("full"),
  "wroteBack:queued": (l: ConnectionLifecycle) => l.wroteBack("queued"),
  "wroteBack:full": (l: ConnectionLifecycle) => l.wroteBack("full"),
  writeBackSettled: (l: ConnectionLifecycle) => l.writeBackSettled(),
  peerEnded: (l: ConnectionLifecycle) => l.peerEnded(),
  gracefulStop: (l: ConnectionLifecycle) => l.gracefulStop(),
  immediateStop: (l: ConnectionLifecycle) => l.immediateStop(),
  closeRequested: (l: ConnectionLifecycle) => l.closeRequested(),
  idleTimedOut: (l: ConnectionLifecycle) => l.idleTimedOut(),
  socketClosed: (l: ConnectionLifecycle) => l.socketClosed(),
} as const;
type EventName = keyof typeof EVENTS;
const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

/** A lifecycle after `given`; what `when` makes the port do, and the state after it. */
function step(given: readonly EventName[], when: readonly EventName[], onEnd: OnEnd = "none"): { calls: string[]; state: string } {
  const port = new RecordingPort();
  const lifecycle = new ConnectionLifecycle(port);
  port.lifecycle = lifecycle;
  port.onEnd = onEnd;
  for (const event of given) EVENTS[event](lifecycle);
  port.calls.length = 0;
  for (const event of when) EVENTS[event](lifecycle);
  return { calls: port.calls, state: lifecycle.state };
}

interface Transition {
  readonly given: readonly EventName[];
  readonly when: readonly EventName[];
  readonly calls: readonly string[];
  readonly state: string;
  readonly onEnd?: OnEnd;
}

/** Named by where they start; `given` reaches that state from a new connection (`open/connecting`). */
const TRANSITIONS: Record<string, Transition> = {
  // open/connecting: onConnect runs, the socket is paused
  "connecting: connected starts reading": { given: [], when: ["connected"], calls: ["startReading", "resume"], state: "open/idle" },
  "connecting: refused destroys": { given: [], when: ["refused"], calls: ["destroy"], state: "destroyed/idle" },
  "connecting: the peer's FIN waits for onConnect": { given: ["peerEnded"], when: ["connected"], calls: ["startReading", "runOnEnd", "endWrite(true)"], state: "closing/idle" },
  "connecting: a graceful stop waits for onConnect": { given: ["gracefulStop"], when: ["connected"], calls: ["startReading", "discard", "endWrite(false)"], state: "closing/idle" },
  "connecting: a graceful stop does nothing yet": { given: [], when: ["gracefulStop"], calls: [], state: "ending/connecting" },
  "connecting: caller.close() sends FIN at once": { given: [], when: ["closeRequested"], calls: ["discard", "endWrite(false)"], state: "closing/connecting" },
  "connecting, closing: connected reads on (discarding)": { given: ["closeRequested"], when: ["connected"], calls: ["resume"], state: "closing/idle" },
  "connecting: an immediate stop gives up on onConnect": { given: [], when: ["immediateStop", "socketClosed"], calls: ["destroy", "release", "runOnClose"], state: "done/idle" },
  "connecting, given up: a late connected before the close": { given: ["immediateStop"], when: ["connected", "socketClosed"], calls: ["release", "runOnClose"], state: "done/idle" },
  "connecting, given up: a late connected after onClose": { given: ["immediateStop", "socketClosed"], when: ["connected"], calls: ["closeLate"], state: "done/idle" },
  "connecting, given up: a late refused": { given: ["immediateStop", "socketClosed"], when: ["refused"], calls: [], state: "done/idle" },
  "connecting: the idle time-out destroys, onClose waits for onConnect": { given: [], when: ["idleTimedOut", "socketClosed"], calls: ["destroy", "release"], state: "closed/connecting" },
  "connecting: socket closed, then connected runs onClose": { given: ["socketClosed"], when: ["connected"], calls: ["runOnClose"], state: "done/idle" },
  "connecting: socket closed, then refused runs onClose": { given: ["socketClosed"], when: ["refused"], calls: ["runOnClose"], state: "done/idle" },
  "connecting: socket closed, an immediate stop does not wait for onConnect": { given: ["socketClosed"], when: ["immediateStop"], calls: ["runOnClose"], state: "done/idle" },

  // open/idle: reading
  "reading: a handler's promise pauses": { given: ["connected"], when: ["handlerStarted"], calls: ["pause"], state: "open/handler" },
  "reading: a queued write-back keeps reading": { given: ["connected"], when: ["wroteBack:queued"], calls: [], state: "open/idle" },
  "reading: a write-back that fills the buffer pauses": { given: ["connected"], when: ["wroteBack:full"], calls: ["pause"], state: "open/draining" },
  "reading: the peer's FIN without onEnd sends ours": { given: ["connected"], when: ["peerEnded"], calls: ["runOnEnd", "endWrite(true)"], state: "closing/idle" },
  "reading: the peer's FIN with a synchronous onEnd": { given: ["connected"], when: ["peerEnded"], calls: ["runOnEnd", "endWrite(true)"], state: "closing/idle", onEnd: "sync" },
  "reading: the peer's FIN with an async onEnd waits for it": { given: ["connected"], when: ["peerEnded"], calls: ["runOnEnd", "pause"], state: "ending/handler", onEnd: "async" },
  "reading: onEnd settled, then our FIN": { given: ["connected", "peerEnded"], when: ["handlerSettled:none"], calls: ["endWrite(true)"], state: "closing/idle", onEnd: "async" },
  "reading: onEnd's write-back drains before our FIN": { given: ["connected"], when: ["peerEnded", "writeBackSettled"], calls: ["runOnEnd", "pause", "endWrite(true)"], state: "closing/idle", onEnd: "full" },
  "reading: caller.close() inside onEnd": { given: ["connected"], when: ["peerEnded"], calls: ["runOnEnd", "endWrite(true)"], state: "closing/idle", onEnd: "close" },
  "reading: the peer's FIN comes once": { given: ["connected", "peerEnded"], when: ["peerEnded"], calls: [], state: "closing/idle" },
  "reading: a graceful stop sends FIN": { given: ["connected"], when: ["gracefulStop"], calls: ["discard", "endWrite(false)"], state: "closing/idle" },
  "reading: an immediate stop destroys": { given: ["connected"], when: ["immediateStop"], calls: ["destroy"], state: "destroyed/idle" },
  "reading: caller.close() sends FIN": { given: ["connected"], when: ["closeRequested"], calls: ["discard", "endWrite(false)"], state: "closing/idle" },
  "reading: the idle time-out destroys": { given: ["connected"], when: ["idleTimedOut"], calls: ["destroy"], state: "destroyed/idle" },
  "reading: socket closed runs onClose": { given: ["connected"], when: ["socketClosed"], calls: ["release", "runOnClose"], state: "done/idle" },

  // open/handler: an onBytes promise is pending
  "handler: settled, reading on": { given: ["connected", "handlerStarted"], when: ["handlerSettled:none"], calls: ["resume"], state: "open/idle" },
  "handler: settled with a queued write-back, reading on": { given: ["connected", "handlerStarted"], when: ["handlerSettled:queued"], calls: ["resume"], state: "open/idle" },
  "handler: settled with a full buffer, draining first": { given: ["connected", "handlerStarted"], when: ["handlerSettled:full"], calls: [], state: "open/draining" },
  "handler: the peer's FIN waits for it": { given: ["connected", "handlerStarted", "peerEnded"], when: ["handlerSettled:none"], calls: ["runOnEnd", "endWrite(true)"], state: "closing/idle" },
  "handler: a graceful stop waits for it": { given: ["connected", "handlerStarted"], when: ["gracefulStop", "handlerSettled:none"], calls: ["discard", "endWrite(false)"], state: "closing/idle" },
  "handler: a graceful stop waits for its write-back too": { given: ["connected", "handlerStarted", "gracefulStop", "handlerSettled:full"], when: ["writeBackSettled"], calls: ["discard", "endWrite(false)"], state: "closing/idle" },
  "handler: the idle time-out is re-armed": { given: ["connected", "handlerStarted"], when: ["idleTimedOut"], calls: ["keepIdle"], state: "open/handler" },
  "handler: caller.close() sends FIN now, discards after it": { given: ["connected", "handlerStarted"], when: ["closeRequested", "handlerSettled:none"], calls: ["discard", "endWrite(false)", "resume"], state: "closing/idle" },
  "handler: an immediate stop gives up on it": { given: ["connected", "handlerStarted"], when: ["immediateStop", "handlerSettled:full", "socketClosed"], calls: ["destroy", "release", "runOnClose"], state: "done/idle" },
  "handler: socket closed, onClose waits for it": { given: ["connected", "handlerStarted", "socketClosed"], when: ["handlerSettled:none"], calls: ["runOnClose"], state: "done/idle" },
  "handler: socket closed, an immediate stop does not wait for it": { given: ["connected", "handlerStarted", "socketClosed"], when: ["immediateStop", "handlerSettled:none"], calls: ["runOnClose"], state: "done/idle" },
  "handler: a second start is ignored": { given: ["connected", "handlerStarted"], when: ["handlerStarted"], calls: [], state: "open/handler" },

  // open/draining: a write-back filled the socket's buffer
  "draining: the last write-back settled, reading on": { given: ["connected", "wroteBack:queued", "wroteBack:full"], when: ["writeBackSettled", "writeBackSettled"], calls: ["resume"], state: "open/idle" },
  "draining: more settles than write-backs are ignored": { given: ["connected", "wroteBack:full", "writeBackSettled"], when: ["writeBackSettled"], calls: [], state: "open/idle" },
  "draining: the peer's FIN waits for the drain": { given: ["connected", "wroteBack:full", "peerEnded"], when: ["writeBackSettled"], calls: ["runOnEnd", "endWrite(true)"], state: "closing/idle" },
  "draining: caller.close() sends FIN now": { given: ["connected", "wroteBack:full"], when: ["closeRequested", "writeBackSettled"], calls: ["discard", "endWrite(false)", "resume"], state: "closing/idle" },
  "draining: the idle time-out destroys": { given: ["connected", "wroteBack:full"], when: ["idleTimedOut", "socketClosed"], calls: ["destroy", "release", "runOnClose"], state: "done/idle" },
  "draining: socket closed ends the drain, onClose runs": { given: ["connected", "wroteBack:full"], when: ["socketClosed", "writeBackSettled"], calls: ["release", "runOnClose"], state: "done/idle" },

  // closing: our FIN is sent
  "closing: stops and caller.close() change nothing": { given: ["connected", "closeRequested"], when: ["gracefulStop", "closeRequested", "peerEnded"], calls: [], state: "closing/idle" },
  "closing: the linger's end, an immediate stop or the idle time-out destroy": { given: ["connected", "closeRequested"], when: ["idleTimedOut"], calls: ["destroy"], state: "destroyed/idle" },
  "closing: a handler started before caller.close() returned is awaited": { given: ["connected", "closeRequested"], when: ["handlerStarted", "handlerSettled:full"], calls: ["pause", "resume"], state: "closing/idle" },
  "closing: the socket closes, onClose runs": { given: ["connected", "closeRequested"], when: ["socketClosed"], calls: ["release", "runOnClose"], state: "done/idle" },

  // destroyed: the close event is due
  "destroyed: everything but the close is ignored": {
    given: ["connected", "immediateStop"],
    when: ["handlerStarted", "wroteBack:full", "peerEnded", "gracefulStop", "immediateStop", "closeRequested", "idleTimedOut", "refused"],
    calls: [],
    state: "destroyed/idle",
  },

  // done: onClose has run
  "done: every event is ignored": { given: ["connected", "socketClosed"], when: EVENT_NAMES, calls: [], state: "done/idle" },
};

describe("ConnectionLifecycle transitions", () => {
  for (const [name, t] of Object.entries(TRANSITIONS)) {
    it(name, () => {
      const { calls, state } = step(t.given, t.when, t.onEnd);
      assert.deepEqual(calls, t.calls);
      assert.equal(state, t.state);
    });
  }

  it("writes back only in open and ending", () => {
    const writesBack = (given: EventName[]): boolean => {
      const lifecycle = new ConnectionLifecycle(new RecordingPort());
      for (const event of given) EVENTS[event](lifecycle);
      return lifecycle.writesBack;
    };
    assert.equal(writesBack(["connected"]), true);
    assert.equal(writesBack(["connected", "handlerStarted", "gracefulStop"]), true);
    assert.equal(writesBack(["connected", "closeRequested"]), false);
    assert.equal(writesBack(["connected", "immediateStop"]), false);
    assert.equal(writesBack(["connected", "socketClosed"]), false);
  });
});

/**
 * A socket and a service around a lifecycle, producing only events a real
 * pair can, in any order they can; it checks the lifecycle's guarantees on
 * every port call and after every step.
 */
class Model implements LifecyclePort {
  readonly lifecycle: ConnectionLifecycle;
  readonly onEnd: OnEnd;
  // the socket
  flowing = false; // sockets start paused
  reading: "none" | "service" | "discard" = "none";
  destroyed = false;
  closed = false;
  finSent = false;
  peerSentFin = false;
  endDelivered = false;
  // the service
  onConnectPending = true;
  handlerPending = false;
  writeBacks = 0;
  immediateStopped = false;
  releasing = false;
  readonly counts = { runOnClose: 0, closeLate: 0, startReading: 0, endWrite: 0, runOnEnd: 0, destroy: 0 };
  readonly trace: string[] = [];

  constructor(onEnd: OnEnd) {
    this.onEnd = onEnd;
    this.lifecycle = new ConnectionLifecycle(this);
  }

  #call(name: string, allowedAfterClose = false): void {
    this.trace.push(`  port.${name}`);
    assert.ok(allowedAfterClose || !this.closed, `port.${name}() after the socket closed`);
  }

  pause(): void {
    this.#call("pause");
    this.flowing = false;
  }
  resume(): void {
    this.#call("resume");
    this.flowing = true;
  }
  startReading(): void {
    this.#call("startReading");
    assert.ok(!this.onConnectPending, "startReading before onConnect settled");
    this.counts.startReading++;
    this.reading = "service";
  }
  discard(): void {
    this.#call("discard");
    this.reading = "discard";
    this.flowing = true;
  }
  endWrite(peerEnded: boolean): void {
    this.#call("endWrite");
    assert.equal(peerEnded, this.endDelivered, "endWrite told wrongly whether the peer's FIN is in");
    this.counts.endWrite++;
    this.finSent = true;
  }
  destroy(): void {
    this.#call("destroy");
    this.counts.destroy++;
    this.destroyed = true;
  }
  keepIdle(): void {
    this.#call("keepIdle");
    assert.ok(this.handlerPending, "keepIdle with no handler running");
  }
  runOnEnd(): void {
    this.#call("runOnEnd");
    assert.ok(this.endDelivered && !this.finSent, "onEnd before the peer's FIN, or after ours");
    this.counts.runOnEnd++;
    if (this.onEnd === "async") this.#startHandler();
    else if (this.onEnd === "full") this.#writeBackNow("full");
    else if (this.onEnd === "close") this.lifecycle.closeRequested();
  }
  release(): void {
    this.#call("release", true);
    assert.ok(this.closed);
    this.releasing = true;
    // as the writer's close: the write-backs still queued settle now (with an error)
    while (this.writeBacks > 0) {
      this.writeBacks--;
      this.lifecycle.writeBackSettled();
    }
    this.releasing = false;
  }
  runOnClose(): void {
    this.#call("runOnClose", true);
    assert.ok(!this.releasing, "onClose from within release");
    this.counts.runOnClose++;
  }
  closeLate(): void {
    this.#call("closeLate", true);
    assert.equal(this.counts.runOnClose, 1, "closeLate before onClose");
    this.counts.closeLate++;
  }

  #startHandler(): void {
    this.handlerPending = true;
    this.lifecycle.handlerStarted();
  }

  /** As the adapter: bytes returned at once go to the writer while the lifecycle writes back. */
  #writeBackNow(writeBack: WriteBack): void {
    if (!this.lifecycle.writesBack || this.destroyed) return;
    this.writeBacks++;
    this.lifecycle.wroteBack(writeBack);
  }

  #closeSocket(): void {
    this.closed = true;
    this.destroyed = true;
    this.flowing = false;
    this.lifecycle.socketClosed();
  }

  /** The events possible now, each with what it does given a random argument. */
  enabled(): Array<[string, (arg: number) => void]> {
    const events: Array<[string, (arg: number) => void]> = [];
    const live = !this.destroyed && !this.closed;
    if (this.onConnectPending) {
      events.push(["onConnect settles", (arg) => {
        this.onConnectPending = false;
        if (arg % 3 === 0) this.lifecycle.refused();
        else this.lifecycle.connected();
      }]);
    }
    if (live && this.flowing && this.reading === "service" && !this.endDelivered) {
      events.push(["a chunk reaches onBytes", (arg) => {
        assert.ok(!this.handlerPending, "a chunk read while a handler runs");
        assert.equal(this.lifecycle.state, "open/idle", "a chunk read while the lifecycle waits");
        const kinds = ["sync", "queued", "full", "async", "close+async", "immediateStop+async"] as const;
        const kind = kinds[arg % kinds.length]!;
        this.trace.push(`  onBytes: ${kind}`);
        if (kind === "queued" || kind === "full") this.#writeBackNow(kind);
        if (kind === "close+async") this.lifecycle.closeRequested();
        if (kind === "immediateStop+async") {
          this.immediateStopped = true;
          this.lifecycle.immediateStop();
        }
        if (kind.endsWith("async")) this.#startHandler();
      }]);
    }
    if (this.handlerPending) {
      events.push(["the handler settles", (arg) => {
        this.handlerPending = false;
        if (!this.lifecycle.handlerRunning) return; // given up on: the adapter drops its result
        let writeBack = (["none", "queued", "full"] as const)[arg % 3]!;
        if (writeBack !== "none" && (!this.lifecycle.writesBack || this.destroyed)) writeBack = "none";
        if (writeBack !== "none") this.writeBacks++;
        this.lifecycle.handlerSettled(writeBack);
      }]);
    }
    if (this.writeBacks > 0) {
      events.push(["a write-back settles", () => {
        this.writeBacks--;
        this.lifecycle.writeBackSettled();
      }]);
    }
    if (!this.peerSentFin && !this.closed) events.push(["the peer sends FIN", () => void (this.peerSentFin = true)]);
    if (live && this.peerSentFin && !this.endDelivered && this.flowing && this.reading !== "none") {
      events.push(["the socket reads the peer's FIN", () => {
        this.endDelivered = true;
        this.lifecycle.peerEnded();
      }]);
    }
    events.push(["gracefulStop", () => this.lifecycle.gracefulStop()]);
    events.push(["immediateStop", () => {
      this.immediateStopped = true;
      this.lifecycle.immediateStop();
    }]);
    events.push(["caller.close()", () => this.lifecycle.closeRequested()]);
    if (live) events.push(["the idle time-out", () => this.lifecycle.idleTimedOut()]);
    if (!this.closed) {
      events.push(["the socket closes", () => this.#closeSocket()]);
    }
    return events;
  }

  /** The guarantees that hold between any two events. */
  checkInvariants(): void {
    const { counts, lifecycle } = this;
    for (const [name, count] of Object.entries(counts)) {
      if (name !== "closeLate") assert.ok(count <= 1, `${name} ran ${count} times`);
    }
    assert.ok(counts.closeLate <= 1);
    // (after the peer's FIN nothing more arrives)
    if (this.flowing && this.reading === "service" && !this.destroyed && !this.endDelivered) {
      assert.ok(!this.handlerPending && !this.onConnectPending, "reading for the service while user code runs");
      assert.equal(lifecycle.state, "open/idle");
    }
    if (this.closed && ((!this.onConnectPending && !this.handlerPending) || this.immediateStopped)) {
      assert.equal(counts.runOnClose, 1, "the socket closed with nothing awaited, and onClose has not run");
    }
    if (counts.runOnClose === 1) assert.ok(this.closed, "onClose before the socket closed");
    // `idle` in these phases is left at once, and nothing is awaited once destroyed or done
    assert.ok(!["ending/idle", "closed/idle", "closed/draining", "destroyed/handler", "done/handler", "done/draining"].includes(lifecycle.state), lifecycle.state);
  }

  /** Lets every pending thing settle and the socket close: onClose must then have run once. */
  finish(): void {
    if (this.onConnectPending) {
      this.onConnectPending = false;
      this.lifecycle.connected();
    }
    if (this.handlerPending) {
      this.handlerPending = false;
      if (this.lifecycle.handlerRunning) this.lifecycle.handlerSettled("none");
    }
    while (this.writeBacks > 0) {
      this.writeBacks--;
      this.lifecycle.writeBackSettled();
    }
    if (!this.closed) this.#closeSocket();
    this.checkInvariants();
    assert.equal(this.counts.runOnClose, 1, "onClose did not run once everything settled");
  }
}

describe("ConnectionLifecycle properties", () => {
  it("over random feasible event sequences: onClose once, no read while user code runs, nothing after the close", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<OnEnd>("none", "sync", "async", "full", "close"),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }),
        (onEnd, steps) => {
          const model = new Model(onEnd);
          try {
            for (const [pick, arg] of steps) {
              const events = model.enabled();
              const [name, run] = events[pick % events.length]!;
              model.trace.push(`${name} (${arg}) in ${model.lifecycle.state}`);
              run(arg);
              model.checkInvariants();
            }
            model.finish();
          } catch (error) {
            throw new Error(`${(error as Error).message}\n${model.trace.join("\n")}`);
          }
        },
      ),
      { numRuns: 2_000, includeErrorInReport: true },
    );
  });

  it("over arbitrary event orders (possible or not): never throws, onClose at most once, nothing after the close", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVENT_NAMES), { maxLength: 30 }), (events) => {
        const port = new RecordingPort();
        const lifecycle = new ConnectionLifecycle(port);
        port.lifecycle = lifecycle;
        let closedAt = -1;
        for (const event of events) {
          EVENTS[event](lifecycle);
          if (event === "socketClosed" && closedAt < 0) closedAt = port.calls.indexOf("release") + 1;
        }
        assert.ok(port.calls.filter((call) => call === "runOnClose").length <= 1);
        if (closedAt > 0) {
          const after = port.calls.slice(closedAt).filter((call) => call !== "runOnClose" && call !== "closeLate");
          assert.deepEqual(after, []);
          if (events.slice(events.indexOf("socketClosed")).includes("immediateStop")) {
            assert.ok(port.calls.includes("runOnClose"), "an immediate stop after the close did not run onClose");
          }
        }
      }),
      { numRuns: 2_000, includeErrorInReport: true },
    );
  });
});
