/** Small assertions shared by the test files. */
import assert from "node:assert/strict";
import { TcpError } from "../../src/index.js";

/** Waits for `promise` to reject and returns the rejection, which must be a `TcpError`. */
export async function rejection(promise: Promise<unknown>): Promise<TcpError> {
  const error = await promise.then(
    () => assert.fail("expected a rejection"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TcpError, `not a TcpError: ${String(error)}`);
  return error;
}
