/**
 * Started TCP listeners for tests.
 */
import { Listener, type ListenerConfiguration, type Service } from "../../src/index.js";

/** A started listener on 127.0.0.1:0 serving `service`; `config` adds to (or overrides) the host. */
export async function startListener(service: Service, config: ListenerConfiguration = {}): Promise<Listener> {
  const listener = new Listener(0, { localHost: "127.0.0.1", ...config });
  listener.attach(service);
  await listener.start();
  return listener;
}
