/**
 * Client-side TLS sessions kept for resumption: a bounded map from "this
 * server, with this TLS configuration" to the last session it sent, with the
 * server certificate it was made with (a resumed handshake carries none).
 *
 * @module
 */
import type { PeerCertificateInfo } from "./tls-info.js";

/** A session and the server certificate it was established with. */
export interface CachedSession {
  readonly session: Buffer;
  readonly peerCertificate: PeerCertificateInfo | undefined;
}

interface Entry extends CachedSession {
  readonly expiresAt: number;
}

/** A small LRU of sessions with a per-entry lifetime. */
export class SessionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The live session for `key`, if any. */
  get(key: string): CachedSession | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Keeps `session` for `lifetimeMs`, dropping the least recently stored entry when full. */
  set(key: string, session: CachedSession, lifetimeMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { ...session, expiresAt: Date.now() + lifetimeMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}

/** The sessions of every `Client` of this process. */
export const clientSessions = new SessionCache(256);
