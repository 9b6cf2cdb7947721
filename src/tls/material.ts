/**
 * Loading certificates and keys from files into what Node's TLS options take,
 * so that a file that does not load fails at `connect` / `start`, not at the
 * first handshake.
 *
 * @module
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { CertKey, KeyStore, TrustStore } from "./secure-socket.js";
import { loadKeyStore, loadTrustStore } from "./pkcs12.js";

/** The identity part of Node's TLS options. */
export type IdentityOptions =
  | { pfx: Buffer; passphrase: string }
  | { cert: string; key: string; passphrase?: string };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** PKCS#8 encrypted, or the traditional OpenSSL encrypted form. */
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/** Every certificate of a PEM file, each checked to parse. */
export async function readPemCertificates(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8");
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`no PEM certificate in ${path}`);
  for (const block of blocks) new X509Certificate(block);
  return blocks;
}

/** The trusted CAs: a PEM file or a PKCS#12 trust store. */
export function loadTrust(cert: string | TrustStore): Promise<string[]> {
  return typeof cert === "string" ? readPemCertificates(cert) : loadTrustStore(cert.path, cert.password);
}

/** The own certificate and key: PEM files or a PKCS#12 key store. */
export async function loadIdentity(key: CertKey | KeyStore): Promise<IdentityOptions> {
  if (isKeyStore(key)) {
    const material = await loadKeyStore(key.path, key.password);
    return "pfx" in material ? { pfx: material.pfx, passphrase: material.passphrase } : { ...material };
  }
  const certs = await readPemCertificates(key.certFile);
  const pem = await readFile(key.keyFile, "utf8");
  if (key.keyPassword === undefined && ENCRYPTED_PEM.test(pem)) {
    throw new Error(`the private key in ${key.keyFile} is encrypted: keyPassword is needed`);
  }
  // Parsing here gives a clear error for a wrong password or a file that holds no key.
  const privateKey = createPrivateKey(key.keyPassword === undefined ? pem : { key: pem, passphrase: key.keyPassword });
  // OpenSSL only checks a key against a certificate of the same algorithm.
  if (!new X509Certificate(certs[0]!).checkPrivateKey(privateKey)) {
    throw new Error(`the private key in ${key.keyFile} does not match the certificate in ${key.certFile}`);
  }
  const cert = certs.join("\n");
  return key.keyPassword === undefined ? { cert, key: pem } : { cert, key: pem, passphrase: key.keyPassword };
}

/** A `KeyStore` has a `path`; a `CertKey` has `certFile` and `keyFile`. */
export function isKeyStore(key: CertKey | KeyStore): key is KeyStore {
  return typeof key === "object" && key !== null && "path" in key;
}
