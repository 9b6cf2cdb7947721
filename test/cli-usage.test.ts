/**
 * `tcpkit` at the command line level, run as a child process: `--help` for
 * every command, and bad arguments giving exit code 2 with one helpful line
 * and a pointer to `--help`, never a stack trace.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

const COMMANDS = ["echo", "listen", "connect", "bench", "udp send", "udp listen"];

test("tcpkit --help lists every command; each command has its own --help", { timeout: 30_000 }, async () => {
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  for (const name of COMMANDS) assert.match(top.stdout.toString(), new RegExp(`^  ${name} +\\S`, "m"));
  const helps = await Promise.all(COMMANDS.map((name) => runCli([...name.split(" "), "--help"])));
  helps.forEach((help, i) => {
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout.toString(), new RegExp(`^Usage: tcpkit ${COMMANDS[i]} `));
    assert.match(help.stdout.toString(), /-h, --help +show this help/);
    assert.equal(help.stderr, "");
  });
});

const badCommandLines: Array<[string[], RegExp]> = [
  [[], /^tcpkit: missing command$/],
  [["frobnicate"], /^tcpkit: unknown command 'frobnicate'$/],
  [["echo"], /^tcpkit echo: missing PORT \(or --port N\)$/],
  [["echo", "--port", "65536"], /^tcpkit echo: --port must be a number from 0 to 65535, got '65536'$/],
  [["echo", "--port", "80", "--colour"], /^tcpkit echo: unknown option '--colour'$/],
  [["listen", "--port", "-1"], /^tcpkit listen: option '--port' needs a value \(write --port=VALUE for a value/],
  [["listen", "--port=-1"], /^tcpkit listen: --port must be a number from 0 to 65535, got '-1'$/],
  [["connect", "127.0.0.1"], /^tcpkit connect: missing PORT$/],
  [["connect", "127.0.0.1", "0"], /^tcpkit connect: PORT must be a number from 1 to 65535, got '0'$/],
  [["connect", "127.0.0.1", "80", "more"], /^tcpkit connect: unexpected argument 'more'$/],
  [["bench", "127.0.0.1", "80", "-c", "0"], /^tcpkit bench: --connections must be a whole number from 1 to 10000, got '0'$/],
  [["bench", "127.0.0.1", "80", "-s", "big"], /^tcpkit bench: --size must be a size from 1 to \d+ bytes .*got 'big'$/],
  [["bench", "127.0.0.1", "80", "-d"], /^tcpkit bench: option '--duration' needs a value$/],
  [["echo", "--port", "0", "--tls-cert", "no-such.crt", "--tls-key", "no-such.key"], /^tcpkit echo: cannot read --tls-cert 'no-such\.crt': no such file$/],
  [["echo", "--port", "0", "--tls-key", "package.json"], /^tcpkit echo: --tls-cert and --tls-key go together$/],
  [["connect", "localhost", "443", "--ca", "missing/ca.pem"], /^tcpkit connect: cannot read --ca 'missing\/ca\.pem': no such file$/],
  [["connect", "localhost", "443", "--cert", "package.json"], /^tcpkit connect: --cert and --key go together$/],
  [["udp"], /^tcpkit: 'udp' needs a subcommand: send, listen$/],
  [["udp", "sned"], /^tcpkit: unknown command 'udp sned' \(the udp commands: send, listen\)$/],
  [["udp", "send", "127.0.0.1", "9000"], /^tcpkit udp send: missing MESSAGE$/],
  [["udp", "send", "127.0.0.1", "9000", "hi", "-t", "soon"], /^tcpkit udp send: --timeout must be a number of seconds from 0\.001 to 86400, got 'soon'$/],
  [["udp", "listen", "--port", "99999"], /^tcpkit udp listen: --port must be a number from 0 to 65535, got '99999'$/],
  [["udp", "listen", "--port", "0", "--count", "0"], /^tcpkit udp listen: --count must be a whole number from 1 to \d+, got '0'$/],
];

test("bad arguments: exit code 2, one line saying what is wrong, a pointer to --help", { timeout: 30_000 }, async () => {
  const results = [];
  // A few processes at a time: the machine has other tests running too.
  for (let i = 0; i < badCommandLines.length; i += 6) {
    results.push(...(await Promise.all(badCommandLines.slice(i, i + 6).map(([args]) => runCli(args)))));
  }
  results.forEach((result, i) => {
    const [args, expected] = badCommandLines[i]!;
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(result.code, 2, `tcpkit ${args.join(" ")}: ${result.stderr}`);
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0]!, expected);
    assert.match(lines[1]!, /^Try 'tcpkit( \w+)*? --help' for /);
    assert.equal(result.stdout.length, 0);
  });
});
