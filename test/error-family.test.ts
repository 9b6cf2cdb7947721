import assert from "node:assert/strict";
import dgram from "node:dgram";
import { test } from "node:test";
import { ReadTimeoutError, TcpError } from "../src/index.js";
import { ERROR_CODES } from "../src/core/error-codes.js";
import { Client as UdpClient, UdpError } from "../src/udp/index.js";
import { GenericError, ReadTimedOutError } from "../src/socket/index.js";

test("a UDP read time-out is a ReadTimeoutError, a UdpError and a TcpError, with a listed code", async () => {
  const client = await UdpClient.create({ timeout: 0.05 });
  try {
    const error = await client.receiveDatagram().then(
      () => assert.fail("a datagram arrived"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ReadTimeoutError, "not a ReadTimeoutError");
    assert.ok(error instanceof UdpError, "not a UdpError");
    assert.ok(error instanceof TcpError, "not a TcpError");
    assert.equal(error.code, "ERR_READ_TIMEOUT");
    assert.equal(error.message, "Read timed out");
    assert.ok(error.code in ERROR_CODES);
  } finally {
    await client.close();
  }
});

test("the socket module's ReadTimedOutError is a ReadTimeoutError; GenericError is a TcpError but not a time-out", () => {
  const timedOut = new ReadTimedOutError();
  assert.ok(timedOut instanceof ReadTimeoutError);
  assert.equal(timedOut.code, "ERR_READ_TIMEOUT");
  assert.equal(timedOut.message, "read timed out");
  const generic = new GenericError("x");
  assert.ok(generic instanceof TcpError);
  assert.ok(!(generic instanceof ReadTimeoutError));
  assert.ok(!(generic instanceof UdpError), "a socket error is not a UDP error");
});

test("a TCP error is not a UdpError; every UDP error is", () => {
  assert.ok(!(new ReadTimeoutError() instanceof UdpError));
  assert.ok(!(new TcpError("x") instanceof UdpError));
  assert.ok(new UdpError("x") instanceof UdpError);
  assert.ok(!(dgram as unknown instanceof UdpError));
});
