/**
 * Drives one accepted connection through its service: `onConnect`, then
 * `onBytes` in order and one at a time, `onEnd`, `onError`, and `onClose`
 * exactly once. When to read, close and run `onClose` is decided by its
 * {@link ConnectionLifecycle}; this class is the adapter around it: socket
 * events and service results become lifecycle events, and the lifecycle's
 * port calls become socket and service calls. It also owns the connection's
 * writer, which `Caller.writeBytes` and the write-backs share. A framed
 * service's queue lives in `frame-service.ts`; STARTTLS in `start-tls.ts`.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ByteData } from "../core/bytes.js";
import { Caller, type CallerHost } from "./caller.js";
import { MAX_TIMER_MS, realClock } from "../core/clock.js";
import { ConnectionLifecycle, type LifecyclePort, type WriteBack } from "./connection-lifecycle.js";
import { channels, publish } from "../core/diagnostics.js";
import { TcpError, alreadyClosed } from "../core/errors.js";
import { deliverError, guarded, isThenable } from "../core/guard.js";
import type { ConnectionService, OnBytesResult, OnConnectResult, Service } from "./service.js";
import { SocketWriter, type SocketWriterOptions, type WriteSink } from "./socket-writer.js";
import { connectionError } from "./connection-error.js";
import { tlsInfoOf, type TlsInfo } from "../tls/tls-info.js";
import type { ProxyInfo } from "../proxy/header.js";
import { proxyInfoOf } from "../proxy/proxy-info.js";
import type { ListenerSecureSocket } from "../tls/secure-socket.js";
import { FrameInput, serviceCodec } from "./frame-service.js";
import { Latch, RareConnectionState } from "./connection-rare.js";
import { invalidState, listenerTlsFor, upgradeServerSocket } from "./start-tls.js";

/** @internal Per-connection settings from the listener; times in ms, 0 = none. */
export interface ConnectionSettings {
  readonly idleTimeoutMs: number;
  /** How long a graceful close waits for the peer's FIN before destroying. */
  readonly lingerMs: number;
  /**
   * Every connection's writer options (write time-out, the bound on bytes
   * queued by `Caller.writeBytes` calls not awaited yet): one object for all.
   */
  readonly writer: SocketWriterOptions;
  /**
   * The local address of every accepted socket, known when the listener is
   * bound to one address (not a wildcard): spares a getsockname per connection.
   */
  readonly localAddress?: { readonly host: string; readonly port: number } | undefined;
  /** Called once per connection after its `onClose` (the listener forgets it). */
  readonly onFinished?: ((connection: ServiceConnection) => void) | undefined;
}

/** For `finished` and `caller.close()` asked after the fact: no promise per connection. */
const SETTLED: Promise<void> = Promise.resolve();

function discard(): void {}

function closeMessage(caller: Caller): object {
  return { id: caller.id };
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** Where a socket keeps the connection that drives it, for the shared listeners. */
const CONNECTION = Symbol("tcpkit.connection");
type DrivenSocket = Socket & { [CONNECTION]?: ServiceConnection };

/**
 * One accepted connection: the adapter between its socket, its service and
 * its {@link ConnectionLifecycle}. It implements the lifecycle's port, the
 * {@link Caller}'s host and the writer's sink; the listener uses `start`,
 * `stop`, `destroyNow` and `finished`.
 *
 * @internal
 */
export class ServiceConnection implements CallerHost, LifecyclePort, WriteSink {
  /** The accepted socket, or the TLS socket over it after `caller.startTls`. */
  #socket: Socket;
  readonly caller: Caller;
  readonly #settings: ConnectionSettings;
  readonly #listenerService: Service;
  readonly #lifecycle: ConnectionLifecycle;
  /** What `onConnect` returned; null until then, or when it returned none. */
  #service: ConnectionService | null = null;
  /** Made on the first write (an idle connection needs none); `Caller.writeBytes` and write-backs share it. */
  #writer: SocketWriter | undefined;
  /** A framed service's queue and codec (`framing`); undefined for a byte service. */
  #frames: FrameInput | undefined;
  /** What few connections use, made on first use (see connection-rare.ts). */
  #rare: RareConnectionState | undefined;
  /** Inside a synchronous `onBytes` / `onFrame` call (where `caller.startTls` may be called). */
  #inHandler = false;
  /** Whether `onConnect` has settled (the service, and so its codec, is known). */
  #serviceSettled = false;
  /**
   * Whether `onClose` has run. The promises of `finished` and `close()` are
   * made only when somebody waits for them: most connections end unobserved,
   * and a promise with its resolver per connection showed in churn profiles.
   */
  #hasFinished = false;

  constructor(socket: Socket, serial: number, service: Service, settings: ConnectionSettings) {
    this.#socket = socket;
    this.#settings = settings;
    this.#listenerService = service;
    this.#lifecycle = new ConnectionLifecycle(this);
    this.caller = new Caller(serial, this);
  }

  #rareState(): RareConnectionState {
    this.#rare ??= new RareConnectionState();
    return this.#rare;
  }

  /** The STARTTLS upgrade in progress, if any. */
  get #upgrade(): Promise<void> | undefined {
    return this.#rare?.upgrade;
  }

  /** Resolves after `onClose` has run. */
  get finished(): Promise<void> {
    if (this.#hasFinished) return SETTLED;
    const rare = this.#rareState();
    rare.finished ??= new Latch();
    return rare.finished.promise;
  }

  /** Bytes read from the socket so far (the listener's stats; PROXY header bytes included). */
  get bytesRead(): number {
    return this.#socket.bytesRead;
  }

  /** Bytes written to the socket so far (the listener's stats). */
  get bytesWritten(): number {
    return this.#socket.bytesWritten;
  }

  /*
   * Socket listeners are shared by every connection (they find theirs on the
   * socket): a closure per listener per connection cost about 56 bytes each,
   * over 600 bytes per idle connection.
   */
  static #of(socket: Socket): ServiceConnection {
    return (socket as DrivenSocket)[CONNECTION]!;
  }

  static #onData(this: Socket, chunk: Buffer): void {
    ServiceConnection.#of(this).#handleData(chunk);
  }

  static #onFrameData(this: Socket, chunk: Buffer): void {
    const connection = ServiceConnection.#of(this);
    connection.#frames!.push(chunk);
    connection.#deliverFrames();
  }

  static #onPeerEnd(this: Socket): void {
    const connection = ServiceConnection.#of(this);
    const frames = connection.#frames;
    // Whole frames still queued behind a handler are handled before the end is.
    if (frames !== undefined && frames.buffered > 0 && connection.#lifecycle.phase === "open" && !connection.#lifecycle.readsForService) {
      frames.endHeld = true;
    } else {
      connection.#peerEnded();
    }
  }

  static #onIdle(this: Socket): void {
    const connection = ServiceConnection.#of(this);
    if (connection.#rare?.longIdle !== undefined && !connection.#longIdleDue()) return;
    connection.#lifecycle.idleTimedOut();
  }

  /** Arms the socket's idle time-out for `ms`, or the first part of it that a Node timer holds. */
  #armIdle(ms: number): void {
    // Past a Node timer's range: a chain of shorter socket time-outs (an idle connection's bytes count).
    if (ms > MAX_TIMER_MS || this.#rare?.longIdle !== undefined) {
      const long = (this.#rareState().longIdle ??= { chunkMs: 0, seenMs: 0, activity: -1 });
      long.chunkMs = Math.min(ms, MAX_TIMER_MS);
      ms = long.chunkMs;
    }
    this.#socket.setTimeout(ms, ServiceConnection.#onIdle);
  }

  /** A part of a long idle time-out ran out: whether all of it has, else the next part is armed. */
  #longIdleDue(): boolean {
    const long = this.#rare!.longIdle!;
    // Traffic since the last part re-armed the socket's timer: idleness counts from there.
    const activity = this.#socket.bytesRead + this.#socket.bytesWritten;
    long.seenMs = (activity === long.activity ? long.seenMs : 0) + long.chunkMs;
    long.activity = activity;
    const idleMs = this.#settings.idleTimeoutMs;
    if (long.seenMs >= idleMs) return true;
    this.#armIdle(idleMs - long.seenMs);
    return false;
  }

  static #onSocketError(this: Socket, error: Error): void {
    ServiceConnection.#of(this).#reportError(connectionError(error));
  }

  static #onSocketClose(this: Socket): void {
    ServiceConnection.#of(this).#lifecycle.socketClosed();
  }

  /** Wires the socket and runs `onConnect`. */
  start(): void {
    const socket = this.#socket as DrivenSocket;
    socket[CONNECTION] = this;
    socket.on("error", ServiceConnection.#onSocketError);
    socket.on("end", ServiceConnection.#onPeerEnd);
    // `on`, not `once`: a socket closes once, and `once` costs a wrapper, a bound function and its state (136 bytes per connection).
    socket.on("close", ServiceConnection.#onSocketClose);
    if (this.#settings.idleTimeoutMs > 0) this.#armIdle(this.#settings.idleTimeoutMs);
    let result: OnConnectResult | Promise<OnConnectResult>;
    try {
      result = this.#listenerService.onConnect(this.caller);
    } catch (error) {
      this.#refuse(error);
      return;
    }
    if (isThenable<OnConnectResult>(result)) {
      result.then(
        (value) => this.#onConnected(value),
        (error: unknown) => this.#refuse(error),
      );
    } else {
      this.#onConnected(result);
    }
  }

  /** Graceful stop: no new bytes; the handler in flight finishes and its reply is flushed. */
  stop(): Promise<void> {
    this.#lifecycle.gracefulStop();
    return this.finished;
  }

  /** Immediate stop: destroy now; `onClose` runs without waiting for a handler in flight. */
  destroyNow(): Promise<void> {
    this.#lifecycle.immediateStop();
    return this.finished;
  }

  #onConnected(result: OnConnectResult): void {
    if (result instanceof Error) {
      this.#refuse(result);
      return;
    }
    const service = result !== null && typeof result === "object" ? result : null;
    if (service !== null) {
      let codec;
      try {
        codec = serviceCodec(service);
      } catch (error) {
        this.#refuse(error);
        return;
      }
      if (codec !== undefined) this.#frames = new FrameInput(codec);
    }
    this.#service = service;
    this.#settleService();
    this.#lifecycle.connected();
  }

  /** onConnect settled: writes that waited for the service's codec go out, in order. */
  #settleService(): void {
    this.#serviceSettled = true;
    this.#rare?.serviceKnown?.resolve();
  }

  /** `onConnect` failed: the listener-level `onError` hears of it; the connection closes. */
  #refuse(error: unknown): void {
    this.#service = null;
    this.#settleService();
    const service = this.#listenerService;
    const onError = service.onError === undefined ? undefined : (e: TcpError) => service.onError!(e);
    deliverError(this.caller.id, TcpError.wrap(error), onError);
    this.#lifecycle.refused();
  }

  // Bytes in, handlers, write-backs.

  #handleData(chunk: Buffer): void {
    // Called directly, not through a closure: nothing is allocated per chunk.
    let result: OnBytesResult | Promise<OnBytesResult>;
    this.#inHandler = true;
    try {
      result = this.#service!.onBytes!(chunk, this.caller);
    } catch (error) {
      this.#reportError(error);
      return;
    } finally {
      this.#inHandler = false;
    }
    this.#afterCall(result);
  }

  /**
   * Hands queued whole frames to `onFrame`, one at a time, while the
   * lifecycle reads for the service: a handler's promise or a full socket
   * stops it, and `resume` starts it again.
   */
  #deliverFrames(): void {
    const frames = this.#frames!;
    const batch: Uint8Array[] = [];
    frames.batch = batch;
    try {
      while (this.#lifecycle.readsForService && this.#upgrade === undefined) {
        let decoded;
        try {
          decoded = frames.next();
        } catch (error) {
          // The stream cannot be resynchronised: tell the service, close after the replies so far.
          this.#flushBatch();
          this.#reportError(error);
          this.#lifecycle.closeRequested();
          return;
        }
        if (decoded === undefined) return;
        let result: unknown;
        this.#inHandler = true;
        try {
          result = this.#service!.onFrame!(decoded.frame, this.caller);
        } catch (error) {
          this.#reportError(error);
          continue;
        } finally {
          this.#inHandler = false;
        }
        if (result === undefined || result === null) continue;
        if (!(result instanceof Error) && !isThenable(result)) {
          try {
            frames.encodeInto(result, batch);
          } catch (error) {
            this.#reportError(error);
          }
          continue;
        }
        this.#flushBatch();
        this.#afterCall(result as OnBytesResult, true);
      }
    } finally {
      this.#flushBatch();
      frames.batch = undefined;
    }
  }

  /** Writes the batched replies of synchronously handled frames as one write-back. */
  #flushBatch(): void {
    const batch = this.#frames?.batch;
    if (batch === undefined || batch.length === 0) return;
    const data = Buffer.concat(batch); // one copy, one system call
    batch.length = 0;
    const writeBack = this.#handleResult(data);
    if (writeBack !== "none") this.#lifecycle.wroteBack(writeBack);
  }

  /** The peer's FIN, as the lifecycle hears it (after a framed service's last whole frame). */
  #peerEnded(): void {
    const unfinished = this.#frames?.unfinished();
    if (unfinished !== undefined) this.#reportError(unfinished);
    this.#lifecycle.peerEnded();
  }

  /**
   * What a handler returned: wait for a promise (reading paused), or write
   * back its bytes (`framed`: the frame, encoded with the connection's codec).
   */
  #afterCall(result: OnBytesResult | Promise<OnBytesResult>, framed = false): void {
    if (isThenable<OnBytesResult>(result)) {
      this.#lifecycle.handlerStarted();
      result.then(
        (value) => this.#afterHandler(value, framed),
        (error: unknown) => this.#afterHandlerError(error),
      );
    } else if (result !== undefined && result !== null) {
      const writeBack = this.#handleResult(result, framed);
      if (writeBack !== "none") this.#lifecycle.wroteBack(writeBack);
    }
  }

  #afterHandler(result: OnBytesResult, framed: boolean): void {
    if (!this.#lifecycle.handlerRunning) return; // an immediate stop gave up on it
    this.#lifecycle.handlerSettled(result === undefined || result === null ? "none" : this.#handleResult(result, framed));
  }

  #afterHandlerError(error: unknown): void {
    if (!this.#lifecycle.handlerRunning) return;
    this.#reportError(error);
    this.#lifecycle.handlerSettled("none");
  }

  /** Writes back returned bytes (reporting a returned error): what the lifecycle must wait for. */
  #handleResult(returned: unknown, framed = false): WriteBack {
    let result = returned;
    if (framed && !(result instanceof Error)) {
      try {
        result = this.#frames!.encode(result);
      } catch (error) {
        this.#reportError(error);
        return "none";
      }
    }
    if (typeof result === "string" || result instanceof Uint8Array) {
      if (this.#socket.destroyed || !this.#lifecycle.writesBack) return "none";
      if (this.#upgrade !== undefined) return this.#writeBackAfterUpgrade(result);
      // Through the connection's writer: in order with caller.writeBytes, and under the listener's
      // writeTimeout. Without a promise: this connection hears how it ended (writeSettled).
      if (this.#writerNow().writeFor(result, this)) return "none"; // the kernel took it at once
      return this.#socket.writableNeedDrain ? "full" : "queued";
    }
    if (result instanceof Error) this.#reportError(result);
    return "none";
  }

  /**
   * @internal How a write-back ended ({@link WriteSink}). Write-backs settle in
   * order, so the last one settling ends a wait for the socket to drain.
   */
  writeSettled(error: TcpError | undefined): void {
    if (error !== undefined && !this.#lifecycle.socketIsClosed) this.#reportError(error);
    this.#lifecycle.writeBackSettled();
  }

  #writerNow(): SocketWriter {
    this.#writer ??= new SocketWriter(this.#socket, this.#settings.writer);
    return this.#writer;
  }

  #reportError(error: unknown): void {
    const service = this.#service;
    const onError = service?.onError === undefined ? undefined : (e: TcpError) => service.onError!(e, this.caller);
    deliverError(this.caller.id, TcpError.wrap(error), onError);
  }

  // CallerHost: what the caller shows and asks of its connection.

  // v1 UNKNOWN, v2 LOCAL, UNSPEC and UNIX headers carry no addresses: the socket's are used.

  get remoteHost(): string {
    return proxyInfoOf(this.#socket)?.source?.host ?? this.#socket.remoteAddress ?? "";
  }

  get remotePort(): number {
    return proxyInfoOf(this.#socket)?.source?.port ?? this.#socket.remotePort ?? 0;
  }

  get localHost(): string {
    const local = proxyInfoOf(this.#socket)?.destination ?? this.#settings.localAddress;
    return local?.host ?? this.#socket.localAddress ?? "";
  }

  get localPort(): number {
    const local = proxyInfoOf(this.#socket)?.destination ?? this.#settings.localAddress;
    return local?.port ?? this.#socket.localPort ?? 0;
  }

  get proxy(): ProxyInfo | undefined {
    return proxyInfoOf(this.#socket);
  }

  get tls(): TlsInfo | undefined {
    return this.#rare?.upgradedTls ?? tlsInfoOf(this.#socket);
  }

  /** `Caller.writeBytes`: in call order with the write-backs, under the same time-out. */
  write(data: ByteData): Promise<void> {
    if (this.#frames?.batch !== undefined) this.#flushBatch(); // replies to earlier frames go first
    const serviceKnown = this.#rare?.serviceKnown;
    if (serviceKnown !== undefined && !this.#serviceSettled) {
      return serviceKnown.promise.then(() => this.write(data)); // behind a greeting frame
    }
    const upgrade = this.#upgrade;
    if (upgrade !== undefined) {
      // Not in plain text in the middle of a handshake: after it (failed, the writer refuses).
      const write = (): Promise<void> => this.#writerNow().write(data);
      return upgrade.then(write, write);
    }
    return this.#writerNow().write(data);
  }

  /** `Caller.writeFrame`: `frame` encoded with the service's codec, then as `write`. */
  writeFrame(frame: unknown): Promise<void> {
    if (!this.#serviceSettled) {
      // Inside onConnect: the codec is the one of the service it is about to return.
      const rare = this.#rareState();
      rare.serviceKnown ??= new Latch();
      return rare.serviceKnown.promise.then(() => this.writeFrame(frame));
    }
    const frames = this.#frames;
    if (frames === undefined) {
      return Promise.reject(invalidState("caller.writeFrame needs a ConnectionService with framing (a codec)"));
    }
    let bytes: Buffer;
    try {
      bytes = frames.encode(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write(bytes);
  }

  /** A write-back returned while a STARTTLS handshake runs: sent after it, encrypted. */
  #writeBackAfterUpgrade(data: ByteData): WriteBack {
    const send = (): void => {
      if (this.#writerNow().writeFor(data, this)) this.writeSettled(undefined);
    };
    this.#upgrade!.then(send, send);
    return "queued";
  }

  /**
   * `Caller.startTls`: the server side of STARTTLS, from within a handler.
   * Reading stops at once; the bytes not handed to the service (a framed
   * service's queue, `unconsumed`) go to the handshake first; writes wait
   * for it. Rejects with `ERR_INVALID_STATE` outside a handler or when TLS
   * is on, with a `TlsError` when the handshake fails (the connection is
   * then closed).
   */
  startTls(secureSocket: ListenerSecureSocket, unconsumed: Uint8Array | undefined): Promise<void> {
    const raw = this.#socket;
    if (this.#upgrade !== undefined || tlsInfoOf(raw) !== undefined) {
      return Promise.reject(invalidState("caller.startTls: TLS is already on (or being started) on this connection"));
    }
    if (!this.#inHandler && !this.#lifecycle.handlerRunning) {
      return Promise.reject(
        invalidState("caller.startTls must be called from onBytes or onFrame (while reading is paused), after the protocol's go-ahead"),
      );
    }
    if (unconsumed !== undefined && !(unconsumed instanceof Uint8Array)) {
      return Promise.reject(new TcpError("caller.startTls: unconsumed must be a Uint8Array", { code: "ERR_INVALID_ARGUMENT" }));
    }
    if (raw.destroyed || this.#lifecycle.phase !== "open") return Promise.reject(alreadyClosed());
    // From now on nothing reads the plain socket: what arrives stays in its buffer for the TLS socket.
    raw.pause();
    raw.removeListener("data", ServiceConnection.#onData);
    raw.removeListener("data", ServiceConnection.#onFrameData);
    const queued = this.#frames?.takeAll();
    const buffered = Buffer.concat([unconsumed ?? Buffer.alloc(0), queued ?? Buffer.alloc(0)]);
    const upgrade = this.#upgradeTo(raw, secureSocket, buffered);
    const rare = this.#rareState();
    rare.upgrade = upgrade;
    const done = (): void => {
      rare.upgrade = undefined;
      // A handler that did not await startTls has returned: read on (the lifecycle skipped it meanwhile).
      if (!this.#socket.destroyed && this.#lifecycle.readsForService) this.resume();
    };
    upgrade.then(done, done);
    return upgrade;
  }

  async #upgradeTo(raw: Socket, secureSocket: ListenerSecureSocket, buffered: Buffer): Promise<void> {
    try {
      const settings = await listenerTlsFor(secureSocket);
      if (raw.destroyed || this.#lifecycle.phase !== "open") throw alreadyClosed();
      // The TLS socket reports the connection's errors and end from now on; the plain one's close stays followed.
      raw.removeListener("error", ServiceConnection.#onSocketError);
      raw.removeListener("end", ServiceConnection.#onPeerEnd);
      raw.on("error", discard);
      raw.setTimeout(0);
      await upgradeServerSocket(raw, buffered, settings, (socket: TLSSocket) => {
        (socket as DrivenSocket)[CONNECTION] = this;
        this.#socket = socket;
        this.#rareState().upgradedTls = tlsInfoOf(socket);
        this.#writer?.rebind(socket);
        socket.on("error", ServiceConnection.#onSocketError);
        socket.on("end", ServiceConnection.#onPeerEnd);
        if (this.#settings.idleTimeoutMs > 0) this.#armIdle(this.#settings.idleTimeoutMs);
        socket.on("data", this.#dataListener()); // the socket starts paused: the lifecycle resumes it
      });
    } catch (error) {
      raw.destroy();
      throw TcpError.wrap(error, "ERR_TLS");
    }
  }

  /**
   * `Caller.close()`: resolves when the socket is closed, not after `onClose`,
   * which waits for the handler in flight (that may be the one awaiting this).
   */
  close(): Promise<void> {
    this.#lifecycle.closeRequested();
    if (this.#lifecycle.socketIsClosed) return SETTLED;
    const rare = this.#rareState();
    rare.socketClosed ??= new Latch();
    return rare.socketClosed.promise;
  }

  // LifecyclePort: what the lifecycle asks of the socket and the service.

  /** @internal */
  pause(): void {
    this.#socket.pause();
  }

  /** @internal Queued whole frames go first; the socket reads on only when none starts a handler. */
  resume(): void {
    if (this.#upgrade !== undefined) return; // the upgrade reads on when done
    if (this.#frames !== undefined && this.#lifecycle.readsForService) {
      if (this.#frames.buffered > 0) {
        this.#deliverFrames();
        if (!this.#lifecycle.readsForService) return;
      }
      if (this.#frames.endHeld) {
        this.#frames.endHeld = false;
        this.#peerEnded();
        return;
      }
    }
    this.#socket.resume();
  }

  /** @internal */
  startReading(): void {
    this.#socket.on("data", this.#dataListener());
  }

  /** Where the service's bytes go: `onFrame` through the codec, `onBytes`, or nowhere. */
  #dataListener(): (this: Socket, chunk: Buffer) => void {
    const service = this.#service;
    if (service?.onFrame !== undefined) return ServiceConnection.#onFrameData;
    return service?.onBytes === undefined ? discard : ServiceConnection.#onData;
  }

  /** @internal */
  discard(): void {
    const socket = this.#socket;
    socket.removeListener("data", ServiceConnection.#onData);
    socket.removeListener("data", ServiceConnection.#onFrameData);
    socket.on("data", discard);
    socket.resume();
  }

  /**
   * @internal Sends FIN after what is queued and waits a bounded time for the
   * peer's FIN, so the kernel never answers unread bytes with a reset that
   * could cut off the reply.
   */
  endWrite(peerEnded: boolean): void {
    const socket = this.#socket;
    // Through the writer when there is one: on Bun and Deno it may still hold slices of earlier writes.
    if (this.#writer === undefined) socket.end();
    else this.#writer.end();
    // With the peer's FIN in and nothing left unsent, the close follows at once: no
    // wait to bound (this spares a timer per connection when the client closes first).
    const closesAtOnce = peerEnded && socket.writableLength === 0;
    if (this.#settings.lingerMs > 0 && !closesAtOnce) {
      this.#rareState().lingerTimer = realClock.setTimer(this.#settings.lingerMs, destroySocket, socket);
    }
  }

  /** @internal */
  destroy(): void {
    this.#socket.destroy();
  }

  /** @internal The socket's time-out fires once and re-arms only on traffic: arm it again. */
  keepIdle(): void {
    const long = this.#rare?.longIdle;
    if (long !== undefined) long.seenMs = 0;
    this.#armIdle(this.#settings.idleTimeoutMs);
  }

  /** @internal */
  runOnEnd(): void {
    const service = this.#service;
    if (typeof service?.onEnd !== "function") return;
    let result: OnBytesResult | Promise<OnBytesResult>;
    try {
      result = service.onEnd(this.caller);
    } catch (error) {
      this.#reportError(error);
      return;
    }
    this.#afterCall(result);
  }

  /** @internal Rejects pending writes; the socket is gone. */
  release(): void {
    const rare = this.#rare;
    if (rare !== undefined) {
      rare.socketClosed?.resolve();
      if (rare.lingerTimer !== undefined) realClock.clearTimer(rare.lingerTimer);
    }
    this.#writer?.close();
  }

  /** @internal */
  runOnClose(): void {
    publish(channels.connectionClose, closeMessage, this.caller);
    const service = this.#service;
    let result: unknown;
    try {
      result = service?.onClose?.(this.caller);
    } catch (error) {
      publish(channels.error, () => ({ id: this.caller.id, error }));
    }
    if (!isThenable(result)) {
      this.#finish();
      return;
    }
    result.then(
      () => this.#finish(),
      (error: unknown) => {
        publish(channels.error, () => ({ id: this.caller.id, error }));
        this.#finish();
      },
    );
  }

  /** @internal */
  closeLate(): void {
    const service = this.#service;
    if (service?.onClose !== undefined) guarded(this.caller.id, () => service.onClose!(this.caller));
  }

  #finish(): void {
    this.#settings.onFinished?.(this);
    this.#hasFinished = true;
    this.#rare?.finished?.resolve();
  }
}
