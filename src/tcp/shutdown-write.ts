/**
 * Half-close: send FIN after what is queued, and tell how it went.
 *
 * @module
 */
import type { Socket } from "node:net";
import { Messages, TcpError, alreadyClosed, withCause } from "../core/errors.js";
import type { SocketWriter } from "./socket-writer.js";

/**
 * Sends FIN once every queued byte is out (through `writer`: on Bun and Deno
 * it may still hold slices of earlier writes). Resolves when it is (at once when it
 * already went out); rejects when the socket is destroyed first: with
 * `Socket connection already closed.` when `closedLocally()` says this side
 * closed it, else with `Failed to write data` and the cause.
 */
export function shutdownWrite(socket: Socket, writer: SocketWriter, closedLocally: () => boolean): Promise<void> {
  if (socket.destroyed) return Promise.reject(alreadyClosed());
  if (socket.writableFinished) return Promise.resolve();
  // The callback gets an error when the socket is destroyed before the FIN went out.
  return new Promise((resolve, reject) =>
    writer.end((error?: Error | null) => {
      if (!error) resolve();
      else if (closedLocally()) reject(alreadyClosed());
      else reject(new TcpError(withCause(Messages.writeFailed, error), { code: "ERR_WRITE", cause: error }));
    }),
  );
}
