/**
 * The IPC messages between the primary and its workers. Each carries
 * `tcpkit: "cluster"`, so an application's own messages on the same channel
 * are never taken for ours (and ours are easy to skip in its handlers).
 *
 * @module
 */

/** Primary → worker: drain (`gracefulStop()`) and exit 0. */
export interface StopMessage {
  readonly tcpkit: "cluster";
  readonly type: "stop";
}

/**
 * Worker → primary: it now listens for our messages. A message sent to a
 * worker before its script has attached a handler is lost (a worker may take
 * a second to load), so the primary sends the stop only after this.
 */
export interface HelloMessage {
  readonly tcpkit: "cluster";
  readonly type: "hello";
}

/** Worker → primary: `setup()` resolved with a started listener on `port`. */
export interface ReadyMessage {
  readonly tcpkit: "cluster";
  readonly type: "ready";
  readonly port: number;
}

/** Worker → primary, just before it exits 1: why `setup()` failed. */
export interface SetupFailedMessage {
  readonly tcpkit: "cluster";
  readonly type: "setup-failed";
  readonly message: string;
}

export type ClusterMessage = StopMessage | HelloMessage | ReadyMessage | SetupFailedMessage;

/** Whether `value` is one of our messages (of `type`, when given). */
export function isClusterMessage<T extends ClusterMessage["type"]>(
  value: unknown,
  type: T,
): value is Extract<ClusterMessage, { type: T }> {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as { tcpkit?: unknown }).tcpkit === "cluster" &&
    (value as { type?: unknown }).type === type
  );
}

/** The stop message (one frozen object). */
export const stopMessage: StopMessage = Object.freeze({ tcpkit: "cluster", type: "stop" });
