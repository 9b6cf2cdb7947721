/**
 * The lifecycle of one listener connection as a state machine, apart from
 * the socket (as `stream-reader.ts` is for the read side): events come in as
 * method calls, actions go out through a {@link LifecyclePort}. It decides
 * when to read, when to send our FIN, when to destroy and when `onClose` runs;
 * `connection.ts` turns socket events into these events and port calls into
 * socket and service calls.
 *
 * A state is a {@link Phase} (where the socket is) with an {@link Activity}
 * (what user code the connection waits for), plus whether the peer's FIN is
 * in. The socket reads for the service only in `open`/`idle`.
 *
 * Phases, in the only order they are entered (`ending` and `closing` may be
 * skipped; `destroyed` is entered from any of the first three):
 *
 * ```text
 *   open ──► ending ──► closing ──► closed ──► done
 *     │         │          │          ▲
 *     └─────────┴──────────┴─► destroyed
 *
 *   open       the socket is open; bytes go to onBytes.
 *   ending     our FIN is due once nothing runs (a graceful stop, or the peer's FIN with onEnd started).
 *   closing    our FIN is sent; what arrives is discarded; a bounded linger waits for the peer's FIN.
 *   destroyed  we destroyed the socket; its close event is due.
 *   closed     the socket closed; onClose waits for onConnect or the handler in flight.
 *   done       onClose has been started (once); nothing more happens.
 *
 *   Activities: connecting (onConnect runs; the socket starts paused), idle (nothing runs:
 *   the socket reads), handler (an onBytes/onEnd promise is pending: paused), draining (a
 *   write-back filled the socket's buffer: paused until every write-back has settled).
 * ```
 *
 * State × event. `·` = ignored. `A` = advance: with nothing running, do what
 * is due (open: resume, or once the peer's FIN is in: →ending, runOnEnd, A;
 * ending: FIN; closing: resume unless the peer's FIN is in; closed: →done,
 * runOnClose). `FIN` = →closing, discard unless the peer's FIN is in,
 * endWrite. `count` = the number of write-backs not settled yet.
 *
 * ```text
 * event \ phase      │ open              │ ending            │ closing        │ destroyed     │ closed            │ done
 * ───────────────────┼───────────────────┼───────────────────┼────────────────┼───────────────┼───────────────────┼────────────
 * connected (1)      │ startReading, A   │ startReading, A   │ A              │ ·             │ A                 │ closeLate
 * refused (1)        │ →destroyed: destroy                                    │ ·             │ A                 │ ·
 * handlerStarted     │ idle→handler: pause (2)                                │ · (3)         │ ·                 │ ·
 * handlerSettled     │ handler→idle, or →draining if full (4); A              │ ·             │ handler→idle, A   │ ·
 * wroteBack          │ count; full: idle→draining, pause (4) │ count          │ count         │ count             │ count
 * writeBackSettled   │ count; the last one: draining→idle, A                                  │ ·                 │ ·
 * peerEnded          │ noted, A          │ noted             │ noted          │ noted         │ noted             │ noted
 * gracefulStop       │ →ending, A        │ ·                 │ ·              │ ·             │ ·                 │ ·
 * immediateStop      │ →idle (5), →destroyed: destroy                         │ →idle (5)     │ →idle (5), A      │ ·
 * closeRequested     │ FIN               │ FIN               │ ·              │ ·             │ ·                 │ ·
 * idleTimedOut       │ handler: keepIdle; otherwise →destroyed: destroy       │ ·             │ ·                 │ ·
 * socketClosed       │ →closed: release; draining→idle; A                                     │ ·                 │ ·
 *
 *  (1) Only while connecting, which they leave (→idle). Outside it, once, they come from an onConnect
 *      an immediate stop gave up on: after onClose ran, the service it returned hears of the close
 *      (closeLate); before, onClose will see that service. Any other is ignored.
 *  (2) Only from idle: bytes and onEnd are handled only then. In `closing` (caller.close() inside
 *      the handler's synchronous part) the handler is still awaited.
 *  (3) An immediate stop inside the handler's synchronous part: that handler is not awaited.
 *  (4) `full`: the write-back is queued and the socket's buffer is full; reading waits until every
 *      write-back has settled. Only `open` and `ending` write back.
 *  (5) Gives up on onConnect, the handler or the drain it waits for: onClose will not wait.
 * ```
 *
 * Guarantees (checked by `test/connection-lifecycle.test.ts` over random
 * event sequences): `runOnClose` at most once, and once the socket closed,
 * exactly once as soon as neither onConnect nor a handler is awaited; no
 * port call after the socket closed but `release`, `runOnClose` and
 * `closeLate`; reading for the service never while onConnect, a handler or
 * a drain is awaited.
 *
 * The port may call back into the lifecycle from within `runOnEnd`,
 * `runOnClose` and `closeLate` (user code runs there) and `release` (it
 * settles the write-backs still queued); every method re-reads the state
 * after such a call.
 *
 * @module
 */

/** Where the socket is; see the module's diagram. */
export type Phase = "open" | "ending" | "closing" | "destroyed" | "closed" | "done";

/** What user code the connection waits for; see the module's diagram. */
export type Activity = "connecting" | "idle" | "handler" | "draining";

/**
 * What became of a handler's returned bytes: nothing to wait for (none
 * returned, or the kernel took them at once), `queued` in the writer, or
 * queued with the socket's buffer `full` (reading waits until it drains).
 */
export type WriteBack = "none" | "queued" | "full";

/** What the lifecycle asks of the socket and the service. */
export interface LifecyclePort {
  /** Stop reading from the socket. */
  pause(): void;
  /** Read on. */
  resume(): void;
  /** Once, after onConnect: bytes that arrive go to the service (does not resume). */
  startReading(): void;
  /** From now on drop what arrives, and read it (so the peer's FIN is seen). */
  discard(): void;
  /**
   * Send our FIN after what is queued, and destroy the socket if it has not
   * closed within the linger time. `peerEnded`: the peer's FIN is in, so
   * with nothing left unsent the close follows at once (no linger needed).
   */
  endWrite(peerEnded: boolean): void;
  /** Destroy the socket (its close event follows). */
  destroy(): void;
  /** Arm the idle time-out again (it fired while a handler ran). */
  keepIdle(): void;
  /**
   * Run the service's `onEnd`, if it has one, like a chunk's handler (it may
   * call `handlerStarted` or `wroteBack`).
   */
  runOnEnd(): void;
  /** The socket closed: settle pending writes, clear timers. */
  release(): void;
  /** Run the service's `onClose`; called at most once. */
  runOnClose(): void;
  /** onConnect settled after onClose ran without it: the service it returned hears of the close. */
  closeLate(): void;
}

/**
 * One connection's lifecycle. Every method is an event; each (state, event)
 * pair either is a transition in the module's table or is ignored.
 */
export class ConnectionLifecycle {
  readonly #port: LifecyclePort;
  #phase: Phase = "open";
  #activity: Activity = "connecting";
  #peerEnded = false;
  /** An immediate stop gave up on onConnect: its late result is expected (once). */
  #onConnectGivenUp = false;
  /** Write-backs queued and not settled yet. */
  #writeBacks = 0;

  constructor(port: LifecyclePort) {
    this.#port = port;
  }

  /** The state, as `phase/activity` (for tests and debugging). */
  get state(): `${Phase}/${Activity}` {
    return `${this.#phase}/${this.#activity}`;
  }

  /** Where the socket is. */
  get phase(): Phase {
    return this.#phase;
  }

  /**
   * Whether the connection hands what it reads to the service now: open,
   * with nothing running (so queued frames may be handed out, one by one).
   */
  get readsForService(): boolean {
    return this.#phase === "open" && this.#activity === "idle";
  }

  /** Whether a handler's promise is awaited (false once an immediate stop gave up on it). */
  get handlerRunning(): boolean {
    return this.#activity === "handler";
  }

  /** Whether a handler's returned bytes are still written back (not once our side is closing). */
  get writesBack(): boolean {
    return this.#phase === "open" || this.#phase === "ending";
  }

  /** Whether the socket has closed. */
  get socketIsClosed(): boolean {
    return this.#phase === "closed" || this.#phase === "done";
  }

  /** onConnect returned (a service or none). */
  connected(): void {
    if (this.#activity !== "connecting") {
      if (this.#lateOnConnect() && this.#phase === "done") this.#port.closeLate();
      return;
    }
    this.#activity = "idle";
    if (this.#phase === "open" || this.#phase === "ending") this.#port.startReading();
    this.#advance();
  }

  /** onConnect failed (threw, rejected, or returned an error). */
  refused(): void {
    if (this.#activity !== "connecting") {
      this.#lateOnConnect();
      return;
    }
    this.#activity = "idle";
    if (this.#isOpen()) this.#destroy();
    else this.#advance();
  }

  /** A handler (`onBytes`, `onEnd`) returned a promise. */
  handlerStarted(): void {
    if (this.#activity !== "idle" || !this.#isOpen()) return;
    this.#activity = "handler";
    this.#port.pause();
  }

  /** The handler's promise settled; what it returned is already written back (`writeBack`). */
  handlerSettled(writeBack: WriteBack): void {
    if (this.#activity !== "handler") return;
    this.#activity = this.#count(writeBack) ? "draining" : "idle";
    this.#advance();
  }

  /** A handler returned bytes at once, and the kernel did not take them all at once. */
  wroteBack(writeBack: WriteBack): void {
    if (this.#count(writeBack) && this.#activity === "idle") {
      this.#activity = "draining";
      this.#port.pause();
    }
  }

  /** A queued write-back was written or failed. */
  writeBackSettled(): void {
    if (this.#writeBacks === 0) return;
    if (--this.#writeBacks === 0 && this.#activity === "draining") {
      this.#activity = "idle";
      this.#advance();
    }
  }

  /** The peer's FIN arrived (after its last byte). */
  peerEnded(): void {
    if (this.#peerEnded) return;
    this.#peerEnded = true;
    this.#advance();
  }

  /** The listener stops gracefully: the handler in flight finishes and its reply is flushed, then our FIN. */
  gracefulStop(): void {
    if (this.#phase !== "open") return;
    this.#phase = "ending";
    this.#advance();
  }

  /** The listener stops now: destroy; onClose waits for no user code. */
  immediateStop(): void {
    if (this.#phase === "done") return;
    if (this.#activity === "connecting") this.#onConnectGivenUp = true;
    this.#activity = "idle";
    if (this.#isOpen()) this.#destroy();
    else this.#advance();
  }

  /** `caller.close()`: our FIN after what is queued. */
  closeRequested(): void {
    if (this.#phase === "open" || this.#phase === "ending") this.#closeOurSide();
  }

  /** No byte either way for the idle time-out. */
  idleTimedOut(): void {
    if (!this.#isOpen()) return;
    if (this.#activity === "handler") this.#port.keepIdle();
    else this.#destroy();
  }

  /** The socket closed (always comes, once, whoever closed it). */
  socketClosed(): void {
    if (this.socketIsClosed) return;
    this.#phase = "closed";
    // Before release: it settles the write-backs still queued, which must not end a drain.
    if (this.#activity === "draining") this.#activity = "idle";
    this.#port.release();
    this.#advance();
  }

  /** Whether this is the result of an onConnect given up on (there is one at most). */
  #lateOnConnect(): boolean {
    const late = this.#onConnectGivenUp;
    this.#onConnectGivenUp = false;
    return late;
  }

  /** Whether the socket is open and not ours to wait for (not destroyed, not closed). */
  #isOpen(): boolean {
    return this.#phase === "open" || this.#phase === "ending" || this.#phase === "closing";
  }

  /** Counts a pending write-back; whether reading must wait for the drain. */
  #count(writeBack: WriteBack): boolean {
    if (writeBack === "none") return false;
    this.#writeBacks++;
    return writeBack === "full" && (this.#phase === "open" || this.#phase === "ending");
  }

  /** With nothing running: do what is due in this phase (read on, onEnd, our FIN, onClose). */
  #advance(): void {
    if (this.#activity !== "idle") return;
    switch (this.#phase) {
      case "open":
        if (!this.#peerEnded) this.#port.resume();
        else this.#afterPeerEnd();
        return;
      case "ending":
        this.#closeOurSide();
        return;
      case "closing":
        if (!this.#peerEnded) this.#port.resume();
        return;
      case "closed":
        this.#phase = "done";
        this.#port.runOnClose();
        return;
      case "destroyed":
      case "done":
        return;
    }
  }

  /** The peer's FIN with nothing running: `onEnd` (if any), then, once it has settled, our FIN. */
  #afterPeerEnd(): void {
    this.#phase = "ending";
    this.#port.runOnEnd();
    this.#advance();
  }

  /** Our FIN after what is queued; incoming bytes are discarded until the peer's FIN. */
  #closeOurSide(): void {
    this.#phase = "closing";
    if (!this.#peerEnded) this.#port.discard();
    this.#port.endWrite(this.#peerEnded);
  }

  #destroy(): void {
    this.#phase = "destroyed";
    this.#port.destroy();
  }
}
