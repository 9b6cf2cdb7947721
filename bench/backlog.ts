/**
 * The listen backlog a server really got, read from the kernel with `ss`
 * (the Send-Q column of a listening socket), so a cell can check that both
 * servers it compares queue the same number of pending connections.
 */
import { spawnSync } from "node:child_process";

/** The backlog of the TCP socket listening on 127.0.0.1:`port`; undefined when `ss` cannot tell. */
export function listenBacklog(port: number): number | undefined {
  const result = spawnSync("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" });
  if (result.status !== 0) return undefined;
  const columns = result.stdout.trim().split(/\s+/);
  // State, Recv-Q, Send-Q (the backlog for a listening socket), local address, peer address.
  const backlog = Number(columns[2]);
  return columns[0] === "LISTEN" && Number.isSafeInteger(backlog) ? backlog : undefined;
}
