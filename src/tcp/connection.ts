/**
 * Drives one accepted connection through its service: `onConnect`, then
 * `onBytes` in order and one at a time, `onEnd`, `onError`, and `onClose`
 * exactly once. When to read, close and run `onClose` is decided by its
 * {@link ConnectionLifecycle}; this class is the adapter around it: socket
 * events and service results become lifecycle events, and the lifecycle's
 * port calls become socket and service calls. It also owns the connection's
 * writer, which `Caller.writeBytes` and the write-backs share.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { ByteData } from "../core/bytes.js";
import { Caller, type CallerHost } from "./caller.js";
import { MAX_TIMER_MS } from "../core/clock.js";
import { ConnectionLifecycle, type LifecyclePort, type WriteBack } from "./connection-lifecycle.js";
import { channels, publish } from "../core/diagnostics.js";
import { TcpError } from "../core/errors.js";
import { deliverError, guarded, isThenable } from "../core/guard.js";
import type { ConnectionService, OnBytesResult, OnConnectResult, Service } from "./service.js";
import { SocketWriter, type WriteSink } from "./socket-writer.js";
import { connectionError } from "./connection-error.js";
import { tlsInfoOf, type TlsInfo } from "../tls/tls-info.js";
import type { ProxyInfo } from "../proxy/header.js";
import { proxyInfoOf } from "../proxy/proxy-info.js";

/** @internal Per-connection settings from the listener; times in ms, 0 = none. */
export interface ConnectionSettings {
  readonly writeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** How long a graceful close waits for the peer's FIN before destroying. */
  readonly lingerMs: number;
  /** The bound on bytes queued by `Caller.writeBytes` calls not awaited yet. */
  readonly maxQueuedWriteBytes: number;
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
  readonly #socket: Socket;
  readonly caller: Caller;
  readonly #settings: ConnectionSettings;
  readonly #listenerService: Service;
  readonly #lifecycle: ConnectionLifecycle;
  /** What `onConnect` returned; null until then, or when it returned none. */
  #service: ConnectionService | null = null;
  /** Made on the first write (an idle connection needs none); `Caller.writeBytes` and write-backs share it. */
  #writer: SocketWriter | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;
  /*
   * The two promises below are made only when somebody waits for them (a stop,
   * a caller.close()): most connections end unobserved, and a promise with its
   * resolver per connection showed in churn profiles.
   */
  /** Resolves after `onClose` has run. */
  #finished: Promise<void> | undefined;
  #resolveFinished: (() => void) | undefined;
  /** Resolves when the socket has closed (before `onClose`, which may wait for a handler). */
  #socketClosed: Promise<void> | undefined;
  #resolveSocketClosed: (() => void) | undefined;

  constructor(socket: Socket, id: string, service: Service, settings: ConnectionSettings) {
    this.#socket = socket;
    this.#settings = settings;
    this.#listenerService = service;
    this.#lifecycle = new ConnectionLifecycle(this);
    this.caller = new Caller(id, this);
  }

  /** Resolves after `onClose` has run. */
  get finished(): Promise<void> {
    this.#finished ??= new Promise((resolve) => (this.#resolveFinished = resolve));
    return this.#finished;
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

  static #onPeerEnd(this: Socket): void {
    ServiceConnection.#of(this).#lifecycle.peerEnded();
  }

  static #onIdle(this: Socket): void {
    const connection = ServiceConnection.#of(this);
    if (connection.#longIdle !== undefined && !connection.#longIdleDue()) return;
    connection.#lifecycle.idleTimedOut();
  }

  /*
   * An idle time-out past a Node timer's range runs as a chain of shorter socket
   * time-outs; this is made only for such a setting (an idle connection's bytes count).
   */
  #longIdle: { chunkMs: number; seenMs: number; activity: number } | undefined;

  /** Arms the socket's idle time-out for `ms`, or the first part of it that a Node timer holds. */
  #armIdle(ms: number): void {
    if (ms > MAX_TIMER_MS || this.#longIdle !== undefined) {
      this.#longIdle ??= { chunkMs: 0, seenMs: 0, activity: -1 };
      this.#longIdle.chunkMs = Math.min(ms, MAX_TIMER_MS);
      ms = this.#longIdle.chunkMs;
    }
    this.#socket.setTimeout(ms, ServiceConnection.#onIdle);
  }

  /** A part of a long idle time-out ran out: whether all of it has, else the next part is armed. */
  #longIdleDue(): boolean {
    const long = this.#longIdle!;
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
    socket.once("close", ServiceConnection.#onSocketClose);
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
    this.#service = result !== null && typeof result === "object" ? result : null;
    this.#lifecycle.connected();
  }

  /** `onConnect` failed: the listener-level `onError` hears of it; the connection closes. */
  #refuse(error: unknown): void {
    this.#service = null;
    const service = this.#listenerService;
    const onError = service.onError === undefined ? undefined : (e: TcpError) => service.onError!(e);
    deliverError(this.caller.id, TcpError.wrap(error), onError);
    this.#lifecycle.refused();
  }

  // Bytes in, handlers, write-backs.

  #handleData(chunk: Buffer): void {
    // Called directly, not through a closure: nothing is allocated per chunk.
    let result: OnBytesResult | Promise<OnBytesResult>;
    try {
      result = this.#service!.onBytes!(chunk, this.caller);
    } catch (error) {
      this.#reportError(error);
      return;
    }
    this.#afterCall(result);
  }

  /** What a handler returned: wait for a promise (reading paused), or write back its bytes. */
  #afterCall(result: OnBytesResult | Promise<OnBytesResult>): void {
    if (isThenable<OnBytesResult>(result)) {
      this.#lifecycle.handlerStarted();
      result.then(
        (value) => this.#afterHandler(value),
        (error: unknown) => this.#afterHandlerError(error),
      );
    } else if (result !== undefined && result !== null) {
      const writeBack = this.#handleResult(result);
      if (writeBack !== "none") this.#lifecycle.wroteBack(writeBack);
    }
  }

  #afterHandler(result: OnBytesResult): void {
    if (!this.#lifecycle.handlerRunning) return; // an immediate stop gave up on it
    this.#lifecycle.handlerSettled(result === undefined || result === null ? "none" : this.#handleResult(result));
  }

  #afterHandlerError(error: unknown): void {
    if (!this.#lifecycle.handlerRunning) return;
    this.#reportError(error);
    this.#lifecycle.handlerSettled("none");
  }

  /** Writes back returned bytes (reporting a returned error): what the lifecycle must wait for. */
  #handleResult(result: Exclude<OnBytesResult, void | undefined | null>): WriteBack {
    if (typeof result === "string" || result instanceof Uint8Array) {
      if (this.#socket.destroyed || !this.#lifecycle.writesBack) return "none";
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
    this.#writer ??= new SocketWriter(this.#socket, {
      writeTimeoutMs: this.#settings.writeTimeoutMs,
      maxQueuedBytes: this.#settings.maxQueuedWriteBytes,
    });
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
    return tlsInfoOf(this.#socket);
  }

  /** `Caller.writeBytes`: in call order with the write-backs, under the same time-out. */
  write(data: ByteData): Promise<void> {
    return this.#writerNow().write(data);
  }

  /**
   * `Caller.close()`: resolves when the socket is closed, not after `onClose`,
   * which waits for the handler in flight (that may be the one awaiting this).
   */
  close(): Promise<void> {
    this.#lifecycle.closeRequested();
    this.#socketClosed ??= new Promise((resolve) => (this.#resolveSocketClosed = resolve));
    return this.#socketClosed;
  }

  // LifecyclePort: what the lifecycle asks of the socket and the service.

  /** @internal */
  pause(): void {
    this.#socket.pause();
  }

  /** @internal */
  resume(): void {
    this.#socket.resume();
  }

  /** @internal */
  startReading(): void {
    this.#socket.on("data", this.#service?.onBytes === undefined ? discard : ServiceConnection.#onData);
  }

  /** @internal */
  discard(): void {
    const socket = this.#socket;
    socket.removeListener("data", ServiceConnection.#onData);
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
    socket.end();
    // With the peer's FIN in and nothing left unsent, the close follows at once: no
    // wait to bound (this spares a timer per connection when the client closes first).
    const closesAtOnce = peerEnded && socket.writableLength === 0;
    if (this.#settings.lingerMs > 0 && !closesAtOnce) {
      this.#lingerTimer = setTimeout(destroySocket, this.#settings.lingerMs, socket);
    }
  }

  /** @internal */
  destroy(): void {
    this.#socket.destroy();
  }

  /** @internal The socket's time-out fires once and re-arms only on traffic: arm it again. */
  keepIdle(): void {
    if (this.#longIdle !== undefined) this.#longIdle.seenMs = 0;
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
    if (this.#resolveSocketClosed !== undefined) this.#resolveSocketClosed();
    else this.#socketClosed = SETTLED;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#writer?.close();
  }

  /** @internal */
  runOnClose(): void {
    publish(channels.connectionClose, () => ({ id: this.caller.id }));
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
    if (this.#resolveFinished !== undefined) this.#resolveFinished();
    else this.#finished = SETTLED;
  }
}
