/**
 * Drives one accepted connection through its service: `onConnect`, then
 * `onBytes` in order and one at a time (the socket is paused while a handler's
 * promise is pending or a write-back waits to be flushed), `onError`, and
 * `onClose` exactly once.
 *
 * @module
 */
import type { Socket } from "node:net";
import { Caller, type CallerHost } from "./caller.js";
import { channels, publish } from "../core/diagnostics.js";
import { TcpError, withCause } from "../core/errors.js";
import { deliverError, guarded, isThenable } from "../core/guard.js";
import type { ConnectionService, OnBytesResult, OnConnectResult, Service } from "./service.js";
import type { WriteSink } from "./socket-writer.js";
import { connectionError } from "./connection-error.js";

/** Per-connection settings from the listener; times in ms, 0 = none. */
export interface ConnectionSettings {
  readonly writeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** How long a graceful close waits for the peer's FIN before destroying. */
  readonly lingerMs: number;
  /**
   * The local address of every accepted socket, known when the listener is
   * bound to one address (not a wildcard): spares a getsockname per connection.
   */
  readonly localAddress?: { readonly host: string; readonly port: number } | undefined;
  /** Called once per connection after its `onClose` (the listener forgets it). */
  readonly onFinished?: ((connection: ServiceConnection) => void) | undefined;
}

function discard(): void {}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** Where a socket keeps the connection that drives it, for the shared listeners. */
const CONNECTION = Symbol("tcpkit.connection");
type DrivenSocket = Socket & { [CONNECTION]?: ServiceConnection };

export class ServiceConnection implements CallerHost, WriteSink {
  readonly socket: Socket;
  readonly caller: Caller;
  readonly writeTimeoutMs: number;
  readonly #settings: ConnectionSettings;
  readonly #listenerService: Service;
  /** undefined while `onConnect` runs; null when it returned no service. */
  #service: ConnectionService | null | undefined;
  #handlerInFlight = false;
  #awaitingDrain = false;
  #peerEnded = false;
  /** Whether `onEnd` has been started (it runs at most once). */
  #endHandled = false;
  #stopping = false;
  #closingOurSide = false;
  #socketClosed = false;
  #onCloseStarted = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  /** Write-backs handed to the writer and not settled yet. */
  #writeBacksPending = 0;
  /*
   * The two promises below are made only when somebody waits for them (a stop,
   * a caller.close()): most connections end unobserved, and a promise with its
   * resolver per connection showed in churn profiles.
   */
  /** Resolves after `onClose` has run. */
  #finished: Promise<void> | undefined;
  #resolveFinished: (() => void) | undefined;
  #isFinished = false;
  /** Resolves when the socket has closed (before `onClose`, which may wait for a handler). */
  #socketClosedPromise: Promise<void> | undefined;
  #resolveSocketClosed: (() => void) | undefined;

  constructor(socket: Socket, id: string, service: Service, settings: ConnectionSettings) {
    this.socket = socket;
    this.writeTimeoutMs = settings.writeTimeoutMs;
    this.#settings = settings;
    this.#listenerService = service;
    this.caller = new Caller(id, this);
  }

  /** Resolves after `onClose` has run. */
  get finished(): Promise<void> {
    this.#finished ??= this.#isFinished
      ? Promise.resolve()
      : new Promise((resolve) => (this.#resolveFinished = resolve));
    return this.#finished;
  }

  /** See {@link ConnectionSettings.localAddress}. */
  get localAddress(): ConnectionSettings["localAddress"] {
    return this.#settings.localAddress;
  }

  #finish(): void {
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#settings.onFinished?.(this);
    this.#resolveFinished?.();
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
    ServiceConnection.#of(this).#peerEnd();
  }

  static #onIdle(this: Socket): void {
    ServiceConnection.#of(this).#idle();
  }

  static #onSocketError(this: Socket, error: Error): void {
    ServiceConnection.#of(this).#reportError(connectionError(error));
  }

  static #onSocketClose(this: Socket): void {
    ServiceConnection.#of(this).#socketClose();
  }

  /** Wires the socket and runs `onConnect`. */
  start(): void {
    const socket = this.socket as DrivenSocket;
    socket[CONNECTION] = this;
    socket.on("error", ServiceConnection.#onSocketError);
    socket.on("end", ServiceConnection.#onPeerEnd);
    socket.once("close", ServiceConnection.#onSocketClose);
    if (this.#settings.idleTimeoutMs > 0) {
      socket.setTimeout(this.#settings.idleTimeoutMs, ServiceConnection.#onIdle);
    }
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
    this.#stopping = true;
    // A connection already closing its side reads on (discarding) to see the peer's FIN.
    if (!this.#socketClosed && !this.#closingOurSide) {
      this.socket.pause();
      if (this.#service !== undefined && !this.#handlerInFlight && !this.#awaitingDrain) this.#closeOurSide();
    }
    return this.finished;
  }

  /** Immediate stop: destroy now; `onClose` runs without waiting for a handler in flight. */
  destroyNow(): Promise<void> {
    this.#handlerInFlight = false;
    this.#service ??= null; // an `onConnect` still running is not waited for
    this.socket.destroy();
    return this.finished;
  }

  /**
   * `Caller.close()`: resolves when the socket is closed, not after `onClose`,
   * which waits for the handler in flight (that may be the one awaiting this).
   */
  closeGracefully(): Promise<void> {
    if (!this.#socketClosed) this.#closeOurSide();
    this.#socketClosedPromise ??= this.#socketClosed
      ? Promise.resolve()
      : new Promise((resolve) => (this.#resolveSocketClosed = resolve));
    return this.#socketClosedPromise;
  }

  #onConnected(result: OnConnectResult): void {
    if (result instanceof Error) {
      this.#refuse(result);
      return;
    }
    const service = result !== null && typeof result === "object" ? result : null;
    this.#service = service;
    if (this.#socketClosed) {
      // immediateStop did not wait for this onConnect: the service still hears of the close once.
      if (this.#onCloseStarted) {
        if (service?.onClose !== undefined) guarded(this.caller.id, () => service.onClose!(this.caller));
      } else {
        this.#runOnClose();
      }
      return;
    }
    // caller.close() inside onConnect: #closeOurSide already discards what arrives.
    if (this.#closingOurSide) return;
    this.socket.on("data", service?.onBytes === undefined ? discard : ServiceConnection.#onData);
    if (this.#stopping) this.#closeOurSide();
    else this.socket.resume();
  }

  /** `onConnect` failed: the listener-level `onError` hears of it; the connection closes. */
  #refuse(error: unknown): void {
    this.#service = null;
    const service = this.#listenerService;
    const onError = service.onError === undefined ? undefined : (e: TcpError) => service.onError!(e);
    deliverError(this.caller.id, TcpError.wrap(error), onError);
    this.socket.destroy();
    // The socket may have closed while `onConnect` ran; its close then waited for this.
    if (this.#socketClosed) this.#runOnClose();
  }

  #handleData(chunk: Buffer): void {
    // Called directly, not through #runHandler: no closure per chunk.
    let result: OnBytesResult | Promise<OnBytesResult>;
    try {
      result = this.#service!.onBytes!(chunk, this.caller);
    } catch (error) {
      this.#reportError(error);
      return;
    }
    this.#afterCall(result);
  }

  /** Runs `onBytes` or `onEnd`; while its promise is pending no bytes are read. */
  #runHandler(handler: () => OnBytesResult | Promise<OnBytesResult>): void {
    let result: OnBytesResult | Promise<OnBytesResult>;
    try {
      result = handler();
    } catch (error) {
      this.#reportError(error);
      return;
    }
    this.#afterCall(result);
  }

  /** What a handler returned: wait for a promise (reading paused), write back bytes. */
  #afterCall(result: OnBytesResult | Promise<OnBytesResult>): void {
    if (isThenable<OnBytesResult>(result)) {
      this.#handlerInFlight = true;
      this.socket.pause();
      result.then(
        (value) => this.#afterHandler(value),
        (error: unknown) => this.#afterHandlerError(error),
      );
    } else if (result !== undefined && result !== null) {
      this.#handleResult(result);
    }
  }

  #afterHandler(result: OnBytesResult): void {
    if (!this.#handlerInFlight) return; // destroyed by immediateStop meanwhile
    this.#handlerInFlight = false;
    if (result !== undefined && result !== null) this.#handleResult(result);
    this.#proceed();
  }

  #afterHandlerError(error: unknown): void {
    if (!this.#handlerInFlight) return;
    this.#handlerInFlight = false;
    this.#reportError(error);
    this.#proceed();
  }

  #handleResult(result: Exclude<OnBytesResult, void | undefined | null>): void {
    if (typeof result === "string" || result instanceof Uint8Array) {
      if (this.socket.destroyed || this.#closingOurSide) return;
      // Through the caller's writer: in order with caller.writeBytes, and under the listener's
      // writeTimeout. Without a promise: this connection hears how it ended (writeSettled).
      if (this.caller._writeBack(result, this)) return; // the kernel took it at once
      this.#writeBacksPending++;
      if (this.socket.writableNeedDrain) {
        this.#awaitingDrain = true;
        this.socket.pause();
      }
    } else if (result instanceof Error) {
      this.#reportError(result);
    }
  }

  /**
   * @internal How a write-back ended ({@link WriteSink}). Write-backs settle in
   * order, so the last one settling ends a wait for the socket to drain.
   */
  writeSettled(error: TcpError | undefined): void {
    if (error !== undefined && !this.#socketClosed) this.#reportError(error);
    if (--this.#writeBacksPending === 0 && this.#awaitingDrain) this.#drained();
  }

  #drained(): void {
    this.#awaitingDrain = false;
    this.#proceed();
  }

  /** After a handler or a drain: close if that is due, else read on. */
  #proceed(): void {
    if (this.#handlerInFlight || this.#awaitingDrain) return;
    if (this.#socketClosed) this.#runOnClose();
    else if (this.#stopping) this.#closeOurSide();
    else if (this.#peerEnded) this.#afterPeerEnd();
    else this.socket.resume();
  }

  #peerEnd(): void {
    this.#peerEnded = true;
    if (this.#service !== undefined && !this.#handlerInFlight && !this.#awaitingDrain) this.#afterPeerEnd();
  }

  /** The peer's FIN with no handler in flight: `onEnd` (once, if any), then our FIN. */
  #afterPeerEnd(): void {
    const service = this.#service;
    if (this.#endHandled || this.#stopping || this.#closingOurSide || this.#socketClosed || typeof service?.onEnd !== "function") {
      this.#closeOurSide();
      return;
    }
    this.#endHandled = true;
    this.#runHandler(() => service.onEnd!(this.caller));
    this.#proceed();
  }

  /**
   * Sends FIN after what is queued, discards what still arrives, and waits a
   * bounded time for the peer's FIN so the kernel never answers unread bytes
   * with a reset that could cut off the reply.
   */
  #closeOurSide(): void {
    if (this.#closingOurSide || this.#socketClosed) return;
    this.#closingOurSide = true;
    const socket = this.socket;
    // After the peer's FIN nothing more can arrive: there is nothing to discard.
    if (!this.#peerEnded) {
      socket.removeListener("data", ServiceConnection.#onData);
      socket.on("data", discard);
      socket.resume();
    }
    this.caller._endWrites(); // after what the writer still holds
    // With the peer's FIN in and nothing left unsent, the close follows at once: no
    // wait to bound (this spares a timer per connection when the client closes first).
    const closesAtOnce = this.#peerEnded && socket.writableLength === 0;
    if (this.#settings.lingerMs > 0 && !closesAtOnce) {
      this.#lingerTimer = setTimeout(destroySocket, this.#settings.lingerMs, socket);
    }
  }

  #idle(): void {
    if (this.#handlerInFlight) {
      // The socket's time-out fires once and re-arms only on traffic: arm it again.
      this.socket.setTimeout(this.#settings.idleTimeoutMs, ServiceConnection.#onIdle);
      return;
    }
    this.socket.destroy();
  }

  #socketClose(): void {
    this.#socketClosed = true;
    this.#resolveSocketClosed?.();
    this.#awaitingDrain = false;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.caller._closeWriter();
    // While `onConnect` or `onBytes` runs, `onClose` waits for it.
    if (this.#service !== undefined && !this.#handlerInFlight) this.#runOnClose();
  }

  #reportError(error: unknown): void {
    const service = this.#service;
    const onError = service?.onError === undefined ? undefined : (e: TcpError) => service.onError!(e, this.caller);
    deliverError(this.caller.id, TcpError.wrap(error), onError);
  }

  #runOnClose(): void {
    if (this.#onCloseStarted) return;
    this.#onCloseStarted = true;
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
}
