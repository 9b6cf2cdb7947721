/**
 * The Ballerina echo sample, end to end in one process: an echo Listener on
 * a free port and a Client that sends "Hello Ballerina" and prints the reply.
 */
import { Client, Listener, type TcpError } from "../src/index.js";

const listener = new Listener(0, { localHost: "127.0.0.1" });
listener.attach({
  onConnect(caller) {
    console.log(`[server] client connected to echo server: ${caller.remotePort}`);
    return {
      onBytes(data: Uint8Array) {
        console.log(`[server] echo: ${Buffer.from(data).toString("utf8")}`);
        return data;
      },
      onError(error: TcpError) {
        console.error(`[server] an error occurred: ${error.message}`);
      },
      onClose() {
        console.log("[server] client left");
      },
    };
  },
});
await listener.start();
console.log(`[server] listening on 127.0.0.1:${listener.localPort}`);

const client = await Client.connect("127.0.0.1", listener.localPort, { timeout: 5 });
const message = "Hello Ballerina";
console.log(`[client] sent: ${message}`);
await client.writeBytes(message);
const reply = await client.readExactly(Buffer.byteLength(message));
console.log(`[client] received: ${Buffer.from(reply).toString("utf8")}`);
await client.close();
await listener.gracefulStop();
console.log("[demo] done");

// The TLS sample, with a certificate it makes itself.
await import("./tls-demo.js");
