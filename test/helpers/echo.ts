/**
 * An echo Listener for tests that records what its service saw: every
 * connected caller and every listener-level error.
 */
import { Listener, type Caller, type ListenerConfiguration, type TcpError } from "../../src/index.js";

export interface EchoListener {
  readonly listener: Listener;
  readonly port: number;
  /** Callers whose `onConnect` ran. */
  readonly callers: Caller[];
  /** Errors given to the listener-level `Service.onError`. */
  readonly errors: TcpError[];
  /** Resolves with the next listener-level error. */
  nextError(): Promise<TcpError>;
  stop(): Promise<void>;
}

/** Starts an echo listener on 127.0.0.1, port 0. */
export async function startEcho(config: ListenerConfiguration = {}): Promise<EchoListener> {
  const listener = new Listener(0, { localHost: "127.0.0.1", ...config });
  const callers: Caller[] = [];
  const errors: TcpError[] = [];
  let waiters: Array<(error: TcpError) => void> = [];
  listener.attach({
    onConnect(caller) {
      callers.push(caller);
      return { onBytes: (data) => data };
    },
    onError(error) {
      errors.push(error);
      const pending = waiters;
      waiters = [];
      for (const wake of pending) wake(error);
    },
  });
  await listener.start();
  return {
    listener,
    port: listener.localPort,
    callers,
    errors,
    nextError: () => new Promise((resolve) => waiters.push(resolve)),
    stop: () => listener.immediateStop(),
  };
}

/** Runs `body` with an echo listener started with `config`, and stops the listener after it, whatever happens. */
export async function withEcho(config: ListenerConfiguration, body: (echo: EchoListener) => Promise<void>): Promise<void> {
  const echo = await startEcho(config);
  try {
    await body(echo);
  } finally {
    await echo.stop();
  }
}
