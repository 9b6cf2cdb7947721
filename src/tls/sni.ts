/**
 * Picking a listener's certificate by the server name a client asks for
 * (SNI): exact names first, then `*.example.com` wildcards, which stand for
 * exactly one label (`a.example.com`, not `example.com` nor
 * `a.b.example.com`), as in certificates. Names match case-insensitively.
 *
 * @module
 */
import type tls from "node:tls";

/** A host name or a `*.` wildcard: labels of letters, digits, `-` and `_`, dot-separated. */
const NAME = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;

/** Whether `name` can be a key of `ListenerSecureSocket.sni`. */
export function isSniName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && NAME.test(name.toLowerCase());
}

/** Server names to secure contexts; the default context serves every other name. */
export class SniTable {
  readonly #exact = new Map<string, tls.SecureContext>();
  /** By the part after `*.`. */
  readonly #wildcard = new Map<string, tls.SecureContext>();

  /** Adds `name` (checked by the caller with {@link isSniName}). */
  set(name: string, context: tls.SecureContext): void {
    const key = name.toLowerCase().replace(/\.$/, "");
    if (key.startsWith("*.")) this.#wildcard.set(key.slice(2), context);
    else this.#exact.set(key, context);
  }

  get size(): number {
    return this.#exact.size + this.#wildcard.size;
  }

  /** The context for `servername`, or `undefined` for the default. */
  lookup(servername: string): tls.SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, "");
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf(".");
    return dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined;
  }
}
