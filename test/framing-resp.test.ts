import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TcpError } from "../src/index.js";
import { decodeChunks, encoded } from "./helpers/framing.js";
import { RespProtocolError, command, resp, type RespValue } from "./helpers/resp-codec.js";

const wire = (s: string): Buffer => Buffer.from(s, "latin1");
const bulk = (s: string | null): RespValue => ({ type: "bulk", value: s === null ? null : Buffer.from(s) });
/** Decodes `s` whole and byte by byte; both must agree. */
function decodeBoth(s: string): { frames: RespValue[]; left: number } {
  const whole = decodeChunks(resp(), [wire(s)]);
  const byByte = decodeChunks(resp(), [...wire(s)].map((b) => Buffer.from([b])));
  assert.deepEqual(byByte, whole);
  return whole;
}

describe("RESP codec (a user-written codec on the public interface)", () => {
  it("decodes simple strings, errors and integers", () => {
    assert.deepEqual(decodeBoth("+OK\r\n-ERR unknown command\r\n:1000\r\n:-42\r\n").frames, [
      { type: "simple", value: "OK" },
      { type: "error", message: "ERR unknown command" },
      { type: "integer", value: 1000 },
      { type: "integer", value: -42 },
    ]);
  });

  it("decodes bulk strings, empty and null ones, with CR LF inside the payload", () => {
    assert.deepEqual(decodeBoth("$5\r\nhello\r\n$0\r\n\r\n$-1\r\n$4\r\na\r\nb\r\n").frames, [bulk("hello"), bulk(""), bulk(null), bulk("a\r\nb")]);
  });

  it("decodes arrays, empty, null and nested, as one frame each", () => {
    const { frames, left } = decodeBoth("*2\r\n*2\r\n:1\r\n$1\r\nx\r\n*0\r\n*-1\r\n*1\r\n*1\r\n*1\r\n+deep\r\n+next");
    assert.deepEqual(frames, [
      { type: "array", value: [{ type: "array", value: [{ type: "integer", value: 1 }, bulk("x")] }, { type: "array", value: [] }] },
      { type: "array", value: null },
      { type: "array", value: [{ type: "array", value: [{ type: "array", value: [{ type: "simple", value: "deep" }] }] }] },
    ]);
    assert.equal(left, 5); // "+next" waits for its line end
  });

  it("encodes what it decodes", () => {
    const values: RespValue[] = [
      command("SET", "key", "va\r\nlue"),
      { type: "simple", value: "PONG" },
      { type: "error", message: "WRONGTYPE" },
      { type: "integer", value: -7 },
      bulk(null),
      { type: "array", value: null },
      { type: "array", value: [] },
    ];
    assert.equal(encoded(resp(), command("GET", "k")).toString(), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    const bytes = Buffer.concat(values.map((v) => encoded(resp(), v)));
    assert.deepEqual(decodeChunks(resp(), [bytes]).frames, values);
  });

  it("refuses to encode a simple string that holds a line end", () => {
    assert.throws(() => resp().encode({ type: "simple", value: "a\r\nb" }), (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT");
  });

  it("reports bytes that are not RESP with its own error", () => {
    for (const bad of ["?x\r\n", ":12a\r\n", "$-2\r\n", "$1\r\nab\r\n", "*-3\r\n"]) {
      assert.throws(() => decodeChunks(resp(), [wire(bad)]), (e: unknown) => e instanceof TcpError && e.cause instanceof RespProtocolError, bad);
    }
  });

  it("refuses a frame over maxLength as soon as the header proves it", () => {
    const codec = resp({ maxLength: 20 });
    const tooLong = (e: unknown): boolean => e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && /\(resp\)/.test(e.message);
    assert.throws(() => decodeChunks(codec, [wire("$100\r\n")]), tooLong); // before the 100 bytes arrive
    assert.throws(() => decodeChunks(codec, [wire("*1000000\r\n")]), tooLong); // a count that cannot fit
    assert.throws(() => decodeChunks(codec, [wire("+" + "a".repeat(20))]), tooLong); // no line end in sight
    assert.equal(decodeChunks(codec, [wire("+" + "a".repeat(17) + "\r\n")]).frames.length, 1); // 20 bytes exactly
  });
});
