/**
 * A listener on 127.0.0.1:0 whose every connection gets the service that
 * `make(caller)` returns, with what the tests look at recorded: the callers,
 * the errors of connections and of the listener, and how many closed.
 */
import { Listener, type Caller, type ConnectionService, type TcpError } from "../../src/index.js";

export interface Served {
  readonly port: number;
  /** Every caller, in the order they connected. */
  readonly callers: Caller[];
  /** Errors given to the connections' `onError`. */
  readonly errors: TcpError[];
  /** Errors given to the listener's `Service.onError` (refused connections, failed handshakes). */
  readonly listenerErrors: TcpError[];
  /** Resolves once `count` connections have run onClose. */
  closed(count?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the listener; the service's own `onError` and `onClose` still run. */
export async function serve(make: (caller: Caller) => ConnectionService): Promise<Served> {
  const listener = new Listener(0, { localHost: "127.0.0.1" });
  const callers: Caller[] = [];
  const errors: TcpError[] = [];
  const listenerErrors: TcpError[] = [];
  let closes = 0;
  let wake: (() => void) | undefined;
  listener.attach({
    onConnect(caller) {
      callers.push(caller);
      const service = make(caller);
      return {
        ...service,
        onError(error, c) {
          errors.push(error);
          return service.onError?.(error, c);
        },
        onClose(c) {
          closes++;
          wake?.();
          return service.onClose?.(c);
        },
      };
    },
    onError: (error) => void listenerErrors.push(error),
  });
  await listener.start();
  return {
    port: listener.localPort,
    callers,
    errors,
    listenerErrors,
    async closed(count = 1) {
      while (closes < count) await new Promise<void>((resolve) => (wake = resolve));
    },
    stop: () => listener.immediateStop(),
  };
}
