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
import { channels, publish } from "./diagnostics.js";
import { TcpError, withCause } from "./errors.js";
import { guarded, isThenable } from "./guard.js";
import type { ConnectionService, OnBytesResult, OnConnectResult, Service } from "./service.js";
import { connectionError } from "./tls/tls-errors.js";

/** Per-connection settings from the listener; times in ms, 0 = none. */
export interface ConnectionSettings {
  readonly writeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** How long a graceful close waits for the peer's FIN before destroying. */
  readonly lingerMs: number;
}

function discard(): void {}

export class ServiceConnection implements CallerHost {
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
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;
  /** Resolves when the socket has closed (before `onClose`, which may wait for a handler). */
  readonly #socketClosedPromise: Promise<void>;
  #resolveSocketClosed!: () => void;

  constructor(socket: Socket, id: string, service: Service, settings: ConnectionSettings) {
    this.socket = socket;
    this.writeTimeoutMs = settings.writeTimeoutMs;
    this.#settings = settings;
    this.#listenerService = service;
    this.caller = new Caller(id, this);
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#socketClosedPromise = new Promise((resolve) => (this.#resolveSocketClosed = resolve));
  }

  /** Resolves after `onClose` has run. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /** Wires the socket and runs `onConnect`. */
  start(): void {
    const socket = this.socket;
    socket.on("error", this.#onSocketError);
    socket.on("end", this.#onPeerEnd);
    socket.once("close", this.#onSocketClose);
    if (this.#settings.idleTimeoutMs > 0) {
      socket.setTimeout(this.#settings.idleTimeoutMs, this.#onIdle);
    }
    let result: OnConnectResult | Promise<OnConnectResult>;
    try {
      result = this.#listenerService.onConnect(this.caller);
    } catch (error) {
      this.#refuse(error);
      return;
    }
    if (isThenable<OnConnectResult>(result)) {
      result.then(this.#onConnected, (error: unknown) => this.#refuse(error));
    } else {
      this.#onConnected(result);
    }
  }

  /** Graceful stop: no new bytes; the handler in flight finishes and its reply is flushed. */
  stop(): Promise<void> {
    this.#stopping = true;
    if (!this.#socketClosed) {
      this.socket.pause();
      if (this.#service !== undefined && !this.#handlerInFlight && !this.#awaitingDrain) this.#closeOurSide();
    }
    return this.#finished;
  }

  /** Immediate stop: destroy now; `onClose` runs without waiting for a handler in flight. */
  destroyNow(): Promise<void> {
    this.#handlerInFlight = false;
    this.#service ??= null; // an `onConnect` still running is not waited for
    this.socket.destroy();
    return this.#finished;
  }

  /**
   * `Caller.close()`: resolves when the socket is closed, not after `onClose`,
   * which waits for the handler in flight (that may be the one awaiting this).
   */
  closeGracefully(): Promise<void> {
    if (!this.#socketClosed) this.#closeOurSide();
    return this.#socketClosedPromise;
  }

  readonly #onConnected = (result: OnConnectResult): void => {
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
    this.socket.on("data", service?.onBytes === undefined ? discard : this.#onData);
    if (this.#stopping) this.#closeOurSide();
    else this.socket.resume();
  };

  /** `onConnect` failed: the listener-level `onError` hears of it; the connection closes. */
  #refuse(error: unknown): void {
    this.#service = null;
    const wrapped = TcpError.wrap(error);
    const onError = this.#listenerService.onError;
    if (onError !== undefined) guarded(this.caller.id, () => onError.call(this.#listenerService, wrapped));
    else publish(channels.error, () => ({ id: this.caller.id, error: wrapped }));
    this.socket.destroy();
    // The socket may have closed while `onConnect` ran; its close then waited for this.
    if (this.#socketClosed) this.#runOnClose();
  }

  readonly #onData = (chunk: Buffer): void => {
    const service = this.#service!;
    this.#runHandler(() => service.onBytes!(chunk, this.caller));
  };

  /** Runs `onBytes` or `onEnd`; while its promise is pending no bytes are read. */
  #runHandler(handler: () => OnBytesResult | Promise<OnBytesResult>): void {
    let result: OnBytesResult | Promise<OnBytesResult>;
    try {
      result = handler();
    } catch (error) {
      this.#reportError(error);
      return;
    }
    if (isThenable<OnBytesResult>(result)) {
      this.#handlerInFlight = true;
      this.socket.pause();
      result.then(this.#afterHandler, this.#afterHandlerError);
    } else if (result !== undefined && result !== null) {
      this.#handleResult(result);
    }
  }

  readonly #afterHandler = (result: OnBytesResult): void => {
    if (!this.#handlerInFlight) return; // destroyed by immediateStop meanwhile
    this.#handlerInFlight = false;
    if (result !== undefined && result !== null) this.#handleResult(result);
    this.#proceed();
  };

  readonly #afterHandlerError = (error: unknown): void => {
    if (!this.#handlerInFlight) return;
    this.#handlerInFlight = false;
    this.#reportError(error);
    this.#proceed();
  };

  #handleResult(result: Exclude<OnBytesResult, void | undefined | null>): void {
    if (typeof result === "string" || result instanceof Uint8Array) {
      if (this.socket.destroyed || this.#closingOurSide) return;
      // Through the caller's writer: in order with caller.writeBytes, and under the listener's writeTimeout.
      const written = this.caller.writeBytes(result);
      if (this.socket.writableNeedDrain) {
        this.#awaitingDrain = true;
        this.socket.pause();
        written.then(this.#onDrain, (error: unknown) => {
          this.#onWriteBackError(error);
          this.#onDrain();
        });
      } else {
        written.catch(this.#onWriteBackError);
      }
    } else if (result instanceof Error) {
      this.#reportError(result);
    }
  }

  readonly #onWriteBackError = (error: unknown): void => {
    if (!this.#socketClosed) this.#reportError(error);
  };

  readonly #onDrain = (): void => {
    this.#awaitingDrain = false;
    this.#proceed();
  };

  /** After a handler or a drain: close if that is due, else read on. */
  #proceed(): void {
    if (this.#handlerInFlight || this.#awaitingDrain) return;
    if (this.#socketClosed) this.#runOnClose();
    else if (this.#stopping) this.#closeOurSide();
    else if (this.#peerEnded) this.#afterPeerEnd();
    else this.socket.resume();
  }

  readonly #onPeerEnd = (): void => {
    this.#peerEnded = true;
    if (this.#service !== undefined && !this.#handlerInFlight && !this.#awaitingDrain) this.#afterPeerEnd();
  };

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
    socket.removeListener("data", this.#onData);
    socket.on("data", discard);
    socket.resume();
    socket.end();
    if (this.#settings.lingerMs > 0) {
      this.#lingerTimer = setTimeout(() => socket.destroy(), this.#settings.lingerMs);
    }
  }

  readonly #onIdle = (): void => {
    if (this.#handlerInFlight) {
      // The socket's time-out fires once and re-arms only on traffic: arm it again.
      this.socket.setTimeout(this.#settings.idleTimeoutMs, this.#onIdle);
      return;
    }
    this.socket.destroy();
  };

  readonly #onSocketError = (error: Error): void => {
    this.#reportError(connectionError(error));
  };

  readonly #onSocketClose = (): void => {
    this.#socketClosed = true;
    this.#resolveSocketClosed();
    this.#awaitingDrain = false;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.caller._closeWriter();
    // While `onConnect` or `onBytes` runs, `onClose` waits for it.
    if (this.#service !== undefined && !this.#handlerInFlight) this.#runOnClose();
  };

  #reportError(error: unknown): void {
    const wrapped = TcpError.wrap(error);
    const service = this.#service;
    if (service?.onError !== undefined) {
      guarded(this.caller.id, () => service.onError!(wrapped, this.caller));
    } else {
      publish(channels.error, () => ({ id: this.caller.id, error: wrapped }));
    }
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
      this.#resolveFinished();
      return;
    }
    result.then(this.#resolveFinished, (error: unknown) => {
      publish(channels.error, () => ({ id: this.caller.id, error }));
      this.#resolveFinished();
    });
  }
}
