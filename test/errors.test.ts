import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConnectError,
  ConnectionClosedError,
  ListenerError,
  ReadTimeoutError,
  TcpError,
  TlsError,
  WriteTimeoutError,
} from "../src/index.js";

describe("errors", () => {
  it("every subclass is a TcpError with its own stable code and name", () => {
    const cases: [TcpError, string, string][] = [
      [new ConnectError("x"), "ERR_CONNECT", "ConnectError"],
      [new ReadTimeoutError(), "ERR_READ_TIMEOUT", "ReadTimeoutError"],
      [new WriteTimeoutError(), "ERR_WRITE_TIMEOUT", "WriteTimeoutError"],
      [new ConnectionClosedError(), "ERR_CONNECTION_CLOSED", "ConnectionClosedError"],
      [new TlsError("x"), "ERR_TLS", "TlsError"],
      [new ListenerError("x"), "ERR_LISTENER", "ListenerError"],
      [new TcpError("x"), "ERR_TCP", "TcpError"],
    ];
    for (const [error, code, name] of cases) {
      assert.ok(error instanceof TcpError);
      assert.ok(error instanceof Error);
      assert.equal(error.code, code);
      assert.equal(error.name, name);
    }
  });

  it("keeps Ballerina's default messages", () => {
    assert.equal(new ReadTimeoutError().message, "Read timed out");
    assert.equal(new WriteTimeoutError().message, "Write timed out");
    assert.equal(new ConnectionClosedError().message, "Connection closed by the server.");
  });

  it("takes a cause and a code", () => {
    const cause = new Error("inner");
    const error = new TcpError("outer", { cause, code: "ERR_SOCKET" });
    assert.equal(error.cause, cause);
    assert.equal(error.code, "ERR_SOCKET");
  });

  it("wraps a non-TcpError keeping its message and cause, and passes a TcpError through", () => {
    const original = new TypeError("bad");
    const wrapped = TcpError.wrap(original);
    assert.equal(wrapped.message, "bad");
    assert.equal(wrapped.cause, original);
    assert.equal(wrapped.code, "ERR_HANDLER");
    const same = new ConnectError("c");
    assert.equal(TcpError.wrap(same), same);
    assert.equal(TcpError.wrap("text").message, "text");
  });
});
