/**
 * The pure parts of the `tcpkit` command: the command line parser and value
 * parsers, the hex dump and the latency histogram.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  UsageError,
  formatAddress,
  formatHelp,
  parseCommandLine,
  parseCount,
  parsePort,
  parseSeconds,
  parseSize,
  readableFile,
  type CommandSpec,
} from "../src/cli/args.js";
import { HexDump } from "../src/cli/hex-dump.js";
import { LatencyHistogram } from "../src/cli/histogram.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

const spec = {
  name: "try",
  summary: "a command for tests",
  usage: "try HOST [--port N] [--hex]",
  description: "Tries things.",
  positionals: ["HOST"],
  options: {
    port: { type: "string", short: "p", value: "N", description: "a port" },
    hex: { type: "boolean", description: "hex" },
  },
} as const satisfies CommandSpec;

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected a UsageError");
}

describe("parseCommandLine", () => {
  test("parses options and positionals", () => {
    const line = parseCommandLine(spec, ["h", "-p", "80", "--hex"]);
    assert.equal(line.help, false);
    assert.deepEqual(line.positionals, ["h"]);
    assert.equal(line.values.port, "80");
    assert.equal(line.values.hex, true);
  });

  test("--help wins over every mistake", () => {
    assert.equal(parseCommandLine(spec, ["--nonsense", "--help"]).help, true);
    assert.equal(parseCommandLine(spec, ["-h"]).help, true);
  });

  test("each mistake gives one short line naming it", () => {
    assert.equal(usageMessage(() => parseCommandLine(spec, ["h", "--bogus"])), "unknown option '--bogus'");
    assert.equal(usageMessage(() => parseCommandLine(spec, ["h", "-z"])), "unknown option '-z'");
    assert.equal(usageMessage(() => parseCommandLine(spec, ["h", "--port"])), "option '--port' needs a value");
    assert.equal(
      usageMessage(() => parseCommandLine(spec, ["h", "--port", "--hex"])),
      "option '--port' needs a value (write --port=VALUE for a value that starts with '-')",
    );
    assert.equal(usageMessage(() => parseCommandLine(spec, ["h", "--hex=1"])), "option '--hex' takes no value");
    assert.equal(usageMessage(() => parseCommandLine(spec, [])), "missing HOST");
    assert.equal(usageMessage(() => parseCommandLine(spec, ["h", "extra"])), "unexpected argument 'extra'");
  });

  test("the help text lists every option and --help", () => {
    const help = formatHelp(spec);
    assert.match(help, /^Usage: tcpkit try HOST/);
    assert.match(help, /-p, --port N +a port/);
    assert.match(help, / {4}--hex +hex/);
    assert.match(help, /-h, --help +show this help/);
  });
});

describe("value parsers", () => {
  test("ports", () => {
    assert.equal(parsePort("0", "--port", 0), 0);
    assert.equal(parsePort("65535", "PORT", 1), 65535);
    for (const bad of ["0", "65536", "-1", "80x", "", "1e3", " 80"]) {
      assert.match(usageMessage(() => parsePort(bad, "PORT", 1)), /^PORT must be a number from 1 to 65535, got '/);
    }
  });

  test("counts, seconds and sizes", () => {
    assert.equal(parseCount("50", "-c", 100), 50);
    assert.match(usageMessage(() => parseCount("0", "-c", 100)), /from 1 to 100, got '0'/);
    assert.match(usageMessage(() => parseCount("101", "-c", 100)), /got '101'/);
    assert.equal(parseSeconds("1.5", "-d", 0.1, 10), 1.5);
    assert.equal(parseSeconds(".5", "-d", 0.1, 10), 0.5);
    assert.match(usageMessage(() => parseSeconds("abc", "-d", 0.1, 10)), /^-d must be a number of seconds/);
    assert.equal(parseSize("512", "-s", 1 << 20), 512);
    assert.equal(parseSize("16k", "-s", 1 << 20), 16384);
    assert.equal(parseSize("1M", "-s", 1 << 20), 1 << 20);
    assert.match(usageMessage(() => parseSize("2m", "-s", 1 << 20)), /^-s must be a size from 1 to 1048576 bytes/);
    assert.match(usageMessage(() => parseSize("3q", "-s", 1 << 20)), /got '3q'/);
  });

  test("files", () => {
    assert.equal(readableFile("package.json", "--tls-cert"), "package.json");
    assert.equal(usageMessage(() => readableFile("no/such.pem", "--tls-cert")), "cannot read --tls-cert 'no/such.pem': no such file");
    assert.equal(usageMessage(() => readableFile("src", "--ca")), "cannot read --ca 'src': not a readable file");
  });
});

test("addresses: IPv6 in brackets, IPv4-mapped shown as IPv4", () => {
  assert.equal(formatAddress("127.0.0.1", 80), "127.0.0.1:80");
  assert.equal(formatAddress("::1", 80), "[::1]:80");
  assert.equal(formatAddress("::ffff:10.0.0.1", 80), "10.0.0.1:80");
});

describe("HexDump", () => {
  test("lays out lines as hexdump -C does, with offsets running on across chunks", () => {
    const dump = new HexDump();
    const first = dump.format(Buffer.from("hello world, a hex dump\n"));
    assert.equal(
      first,
      "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 61 20 68  |hello world, a h|\n" +
        "00000010  65 78 20 64 75 6d 70 0a                           |ex dump.|\n",
    );
    assert.equal(dump.format(Uint8Array.of(0, 0x7f, 0x41)), "00000018  00 7f 41                                          |..A|\n");
    assert.equal(dump.format(new Uint8Array(0)), "");
  });
});

describe("LatencyHistogram", () => {
  test("quantiles are within 1 % of the exact order statistic; max is exact", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50_000_000 }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.9, 0.99, 1),
        (samples, q) => {
          const histogram = new LatencyHistogram();
          for (const sample of samples) histogram.record(sample);
          const sorted = [...samples].sort((a, b) => a - b);
          const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
          const reported = histogram.quantile(q);
          assert.ok(Math.abs(reported - exact) <= exact * 0.01, `q${q}: ${reported} vs ${exact}`);
          assert.equal(histogram.max, sorted.at(-1));
          assert.equal(histogram.count, samples.length);
        },
      ),
    );
  });

  test("an empty histogram reports 0; values below 256 µs are exact", () => {
    const histogram = new LatencyHistogram();
    assert.equal(histogram.quantile(0.5), 0);
    for (const sample of [10, 30, 20]) histogram.record(sample);
    assert.equal(histogram.quantile(0.5), 20);
    assert.equal(histogram.quantile(1), 30);
  });
});
