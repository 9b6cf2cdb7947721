/**
 * Loading PKCS#12 stores. Node's own `pfx` option (OpenSSL) is used for key
 * stores when it can read them. It cannot read a store holding only
 * certificates (what `keytool -importcert` makes) nor, on OpenSSL 3, the
 * RC2/3DES stores older tools made; those are parsed with node-forge, loaded
 * on first use so that nobody else pays for it.
 *
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import tls from "node:tls";
import type forgeModule from "node-forge";
import { FileCache } from "./file-cache.js";

type Forge = typeof forgeModule;
type Bag = forgeModule.pkcs12.Bag;

let forgePromise: Promise<Forge> | undefined;

function loadForge(): Promise<Forge> {
  forgePromise ??= import("node-forge").then((module) => module.default);
  return forgePromise;
}

/** What a key store turns into: Node's `pfx` as it is, or PEM text. */
export type KeyMaterial =
  | { readonly pfx: Buffer; readonly passphrase: string }
  | { readonly key: string; readonly cert: string };

const keyStores = new FileCache<KeyMaterial>(32);
const trustStores = new FileCache<string[]>(32);

/** Reads a PKCS#12 key store: its first private key and that key's certificate chain. */
export function loadKeyStore(path: string, password: string): Promise<KeyMaterial> {
  return keyStores.get(path, password, () => readKeyStore(path, password));
}

/** Reads every certificate of a PKCS#12 store as PEM; a store with none is an error. */
export function loadTrustStore(path: string, password: string): Promise<string[]> {
  return trustStores.get(path, password, () => readTrustStore(path, password));
}

async function readKeyStore(path: string, password: string): Promise<KeyMaterial> {
  const pfx = await readFile(path);
  try {
    tls.createSecureContext({ pfx, passphrase: password });
    return { pfx, passphrase: password };
  } catch (error) {
    // Anything but an algorithm OpenSSL 3 no longer offers is a real failure (bad password, not PKCS#12).
    if (!(error instanceof Error) || !/unsupported/i.test(error.message)) throw error;
  }
  const bags = await parseStore(pfx, password);
  const keyBag = bags.find((bag) => KEY_BAGS.has(bag.type));
  if (keyBag === undefined) throw new Error(`no private key in the PKCS#12 store ${path}`);
  const forge = await loadForge();
  const keyDer = keyBag.key
    ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBag.key))
    : keyBag.asn1;
  const key = createPrivateKey({ key: derOf(forge, keyDer), format: "der", type: "pkcs8" });
  const certs = (await certificatesOf(bags)).map((pem) => new X509Certificate(pem));
  return { key: key.export({ format: "pem", type: "pkcs8" }) as string, cert: chainFor(key, certs, path) };
}

async function readTrustStore(path: string, password: string): Promise<string[]> {
  const certs = await certificatesOf(await parseStore(await readFile(path), password));
  if (certs.length === 0) throw new Error(`no certificate in the PKCS#12 store ${path}`);
  return certs;
}

const CERT_BAG = "1.2.840.113549.1.12.10.1.3";
const KEY_BAGS: ReadonlySet<string> = new Set(["1.2.840.113549.1.12.10.1.1", "1.2.840.113549.1.12.10.1.2"]);

/** Every safe bag of the store, after checking its MAC with `password`. */
async function parseStore(der: Buffer, password: string): Promise<Bag[]> {
  const forge = await loadForge();
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString("binary")), true);
  const store = forge.pkcs12.pkcs12FromAsn1(asn1, true, password);
  return store.safeContents.flatMap((contents) => contents.safeBags);
}

async function certificatesOf(bags: readonly Bag[]): Promise<string[]> {
  const forge = await loadForge();
  return bags
    .filter((bag) => bag.type === CERT_BAG)
    .map((bag) => {
      // forge parses RSA certificates only; for others it keeps the ASN.1.
      const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
      return toPem("CERTIFICATE", derOf(forge, asn1));
    });
}

/** The certificate of `key` first, then the others (its chain). */
function chainFor(key: KeyObject, certs: readonly X509Certificate[], path: string): string {
  const leaf = certs.find((cert) => cert.checkPrivateKey(key));
  if (leaf === undefined) throw new Error(`no certificate for the private key in the PKCS#12 store ${path}`);
  return [leaf, ...certs.filter((cert) => cert !== leaf)].map((cert) => cert.toString()).join("");
}

function derOf(forge: Forge, asn1: forgeModule.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
