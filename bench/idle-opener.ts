/**
 * Opens many idle connections and holds them:
 * `node idle-opener.js PORT COUNT [tls]`. Prints `{"opened","errors"}`
 * when all are up; closes them all and exits when stdin closes.
 */
import net from "node:net";
import tls from "node:tls";
import { exitWhenStdinCloses, reply } from "./proc.js";

const [portText, countText, proto = "tcp"] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
/** Connects in flight at once, well under the server's backlog. */
const CONCURRENT_CONNECTS = 256;

const sockets: net.Socket[] = [];
let errors = 0;

function open(): Promise<void> {
  return new Promise((resolve) => {
    const options = { host: "127.0.0.1", port };
    const socket = proto === "tls" ? tls.connect({ ...options, rejectUnauthorized: false }) : net.connect(options);
    socket.once(proto === "tls" ? "secureConnect" : "connect", () => {
      sockets.push(socket);
      resolve();
    });
    socket.on("error", () => {
      errors++;
      resolve();
    });
  });
}

let started = 0;
async function worker(): Promise<void> {
  while (started < count) {
    started++;
    await open();
  }
}

exitWhenStdinCloses(() => {
  for (const socket of sockets) socket.destroy();
});
await Promise.all(Array.from({ length: Math.min(CONCURRENT_CONNECTS, count) }, worker));
reply({ opened: sockets.length, errors });
