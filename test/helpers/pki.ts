/**
 * A throw-away PKI for TLS tests, made with the `openssl` command in a temp
 * directory: two CAs, server and client certificates, an encrypted key and
 * PKCS#12 stores. Nothing is committed; `remove()` deletes it all.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { promisify } from "node:util";
import { requireTool } from "./tools.js";

const run = promisify(execFile);

/** Runs a program with a time bound; rejects with its stderr on failure. */
export async function tool(file: string, args: readonly string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, timeout: 30_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`${file} ${args.join(" ")} failed: ${stderr || String(error)}`);
  }
}

export interface Pki {
  readonly dir: string;
  /** Path of a file in the PKI directory. */
  path(name: string): string;
  /** CA "tcpkit Test CA" and a second, unrelated CA "tcpkit Other CA". */
  readonly caCert: string;
  readonly otherCaCert: string;
  /** RSA server certificate for localhost, 127.0.0.1 and ::1, signed by the test CA. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The server key encrypted (PKCS#8, AES-256) with `keyPassword`. */
  readonly serverKeyEncrypted: string;
  readonly keyPassword: string;
  /** A server certificate for "other.example" only, signed by the test CA. */
  readonly wrongHostCert: string;
  readonly wrongHostKey: string;
  /** A self-signed server certificate for localhost (trusted by nobody). */
  readonly selfSignedCert: string;
  readonly selfSignedKey: string;
  /** Client certificate "client1" signed by the test CA, and "intruder" signed by the other CA. */
  readonly clientCert: string;
  readonly clientKey: string;
  readonly intruderCert: string;
  readonly intruderKey: string;
  /** PKCS#12 stores made by `openssl pkcs12`, password `storePassword`. */
  readonly storePassword: string;
  readonly serverKeyStore: string;
  readonly clientKeyStore: string;
  /** Holds only the test CA's certificate. */
  readonly trustStore: string;
  remove(): Promise<void>;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Makes a fresh PKI in a temp directory. */
export async function createPki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), "tcpkit-pki-"));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<string> => tool("openssl", args, dir);

  const selfSigned = (name: string, cn: string, keyArgs: string[], san?: string): Promise<string> =>
    openssl("req", "-x509", ...keyArgs, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`,
      "-days", "2", "-subj", `/CN=${cn}`, ...(san === undefined ? [] : ["-addext", `subjectAltName=${san}`]));
  const signed = async (name: string, cn: string, ca: string, keyArgs: string[], san: string, usage: string): Promise<void> => {
    await openssl("req", ...keyArgs, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    await writeFile(path(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    await openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
      "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
  };

  await Promise.all([selfSigned("ca", "tcpkit Test CA", EC), selfSigned("ca2", "tcpkit Other CA", EC)]);
  const RSA = ["-newkey", "rsa:2048"];
  await Promise.all([
    signed("server", "localhost", "ca", RSA, "DNS:localhost,IP:127.0.0.1,IP:::1", "serverAuth"),
    signed("wronghost", "other.example", "ca", EC, "DNS:other.example", "serverAuth"),
    selfSigned("selfsigned", "localhost", EC, "DNS:localhost,IP:127.0.0.1"),
  ]);
  // Sequential: both use the CA serial files.
  await signed("client", "client1", "ca", EC, "DNS:client1", "clientAuth");
  await signed("intruder", "intruder", "ca2", EC, "DNS:intruder", "clientAuth");

  const keyPassword = "key-secret";
  const storePassword = "store-secret";
  await Promise.all([
    openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "server.key", "-out", "server-enc.key", "-passout", `pass:${keyPassword}`),
    openssl("pkcs12", "-export", "-inkey", "server.key", "-in", "server.crt", "-certfile", "ca.crt",
      "-out", "server.p12", "-passout", `pass:${storePassword}`),
    openssl("pkcs12", "-export", "-inkey", "client.key", "-in", "client.crt", "-out", "client.p12", "-passout", `pass:${storePassword}`),
    openssl("pkcs12", "-export", "-nokeys", "-in", "ca.crt", "-out", "trust.p12", "-passout", `pass:${storePassword}`),
  ]);

  return {
    dir,
    path,
    caCert: path("ca.crt"),
    otherCaCert: path("ca2.crt"),
    serverCert: path("server.crt"),
    serverKey: path("server.key"),
    serverKeyEncrypted: path("server-enc.key"),
    keyPassword,
    wrongHostCert: path("wronghost.crt"),
    wrongHostKey: path("wronghost.key"),
    selfSignedCert: path("selfsigned.crt"),
    selfSignedKey: path("selfsigned.key"),
    clientCert: path("client.crt"),
    clientKey: path("client.key"),
    intruderCert: path("intruder.crt"),
    intruderKey: path("intruder.key"),
    storePassword,
    serverKeyStore: path("server.p12"),
    clientKeyStore: path("client.p12"),
    trustStore: path("trust.p12"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * One PKI for the tests of the calling file: made in a `before` hook, removed
 * in an `after` hook. The returned object is filled in by `before`, so read its
 * fields only inside tests and hooks, never at module level. Without `openssl`
 * nothing is made (the file's tests skip with `requireTool("openssl")`).
 */
export function pkiForThisFile(): Pki {
  const pki = {} as Pki;
  const skip = requireTool("openssl");
  before(async () => {
    if (!skip) Object.assign(pki, await createPki());
  });
  after(async () => {
    if (!skip) await pki.remove();
  });
  return pki;
}
