/**
 * A leak check for every test of a file: after each test, no socket, server,
 * timer or other handle may be open that was not open before it.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach } from "node:test";

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

function excess(baseline: Map<string, number>): string[] {
  const left: string[] = [];
  for (const [name, count] of countResources()) {
    const extra = count - (baseline.get(name) ?? 0);
    if (extra > 0) left.push(`${extra} × ${name}`);
  }
  return left;
}

/** Polls on the event loop (without a timer of its own) until nothing leaks or `ms` pass. */
async function settle(baseline: Map<string, number>, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = excess(baseline);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Installs the check on the current file (or `describe` block). */
export function checkLeaksAfterEachTest(): void {
  let baseline = new Map<string, number>();
  beforeEach(() => {
    baseline = countResources();
  });
  afterEach(async () => {
    // Closing handles finish on the next turns of the loop; give them a moment.
    const left = await settle(baseline, 2_000);
    assert.deepEqual(left, [], `left open after the test: ${left.join(", ")}`);
  });
}
