/**
 * The restart bookkeeping of tcpkit/cluster, with a clock passed in: back-off
 * doubling and its cap, the window, and the crash-loop verdict.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RestartPolicy, type RestartDecision, type RestartLimits } from "../src/cluster/restart-policy.js";

const limits: RestartLimits = { restartDelayMs: 100, maxRestartDelayMs: 500, maxRestarts: 5, restartWindowMs: 60_000 };

function delays(decisions: RestartDecision[]): (number | "give up")[] {
  return decisions.map((d) => (d.restart ? d.delayMs : "give up"));
}

test("the delay doubles with each death in the window, up to the cap; one death over maxRestarts gives up", () => {
  const policy = new RestartPolicy(limits);
  const decisions = [0, 1, 2, 3, 4, 5].map((second) => policy.onDeath(second * 1000));
  assert.deepEqual(delays(decisions), [100, 200, 400, 500, 500, "give up"]);
  assert.deepEqual(decisions[5], { restart: false, deaths: 6 });
});

test("deaths older than the window are forgotten: a worker that lived long starts again from the first delay", () => {
  const policy = new RestartPolicy(limits);
  assert.deepEqual(delays([policy.onDeath(0), policy.onDeath(1_000), policy.onDeath(2_000)]), [100, 200, 400]);
  // 70 s later every earlier death is out of the 60 s window.
  assert.deepEqual(delays([policy.onDeath(72_000)]), [100]);
  // Deaths spread wider than the window never add up to a crash loop.
  const spread = new RestartPolicy(limits);
  const decisions = Array.from({ length: 20 }, (_, i) => spread.onDeath(i * 61_000));
  assert.ok(decisions.every((d) => d.restart && d.delayMs === 100));
});

test("a window of 0 counts every death ever", () => {
  const policy = new RestartPolicy({ ...limits, maxRestarts: 2, restartWindowMs: 0 });
  const decisions = [0, 1e9, 2e9].map((t) => policy.onDeath(t));
  assert.deepEqual(delays(decisions), [100, 200, "give up"]);
});

test("a zero restart delay stays zero, and a huge maxRestarts does not overflow the delay", () => {
  const zero = new RestartPolicy({ ...limits, restartDelayMs: 0, maxRestarts: 3000, restartWindowMs: 0 });
  const capped = new RestartPolicy({ ...limits, maxRestarts: 3000, restartWindowMs: 0 });
  for (let i = 0; i < 2000; i++) {
    assert.deepEqual(zero.onDeath(i), { restart: true, delayMs: 0 });
    const decision = capped.onDeath(i);
    assert.ok(decision.restart && (i < 3 || decision.delayMs === 500), `death ${i + 1}: ${JSON.stringify(decision)}`);
  }
});
