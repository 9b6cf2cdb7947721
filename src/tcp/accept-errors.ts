/**
 * What a failed accept means to an operator. Once bound, Node's
 * `net.Server` emits `'error'` only for a failed `accept()` (its `syscall`
 * is `"accept"`). Running out of file descriptors is mostly *not* reported
 * that way: libuv accepts and closes the waiting connections silently
 * (see fd-watch.ts, which notices it instead); it reports `EMFILE` /
 * `ENFILE` only when even its reserve descriptor is gone.
 *
 * @module
 */
import { ListenerError } from "../core/errors.js";
import type { FdShortage } from "./fd-watch.js";

const FD_ADVICE: Record<string, string> = {
  EMFILE: "this process has too many open files; raise its limit (ulimit -n, LimitNOFILE=) or lower maxConnections",
  ENFILE: "the system has too many open files; raise fs.file-max or lower maxConnections",
};

/** A `ListenerError` for a failed accept, with what to do about it; the original is the `cause`. */
export function acceptError(error: Error & { code?: string; syscall?: string }): ListenerError {
  const advice = error.code === undefined ? undefined : FD_ADVICE[error.code];
  const what = error.syscall === "accept" ? "Unable to accept a connection" : "Listener socket error";
  const detail = advice === undefined ? error.message : `${error.code}: ${advice}`;
  return new ListenerError(`${what}: ${detail}`, { cause: error });
}

/** The process is (about to be) out of file descriptors: new connections are closed on arrival. */
export function fdShortage({ inUse, limit }: FdShortage): ListenerError {
  const cause = Object.assign(new Error(`accept EMFILE: ${inUse} of ${limit} file descriptors in use`), {
    code: "EMFILE",
    syscall: "accept",
  });
  const error = acceptError(cause);
  return new ListenerError(`${error.message} (${inUse} of ${limit} in use; new connections are closed on arrival)`, { cause });
}

/** An IP address as it goes before `:port` (IPv6 in brackets). */
export function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
