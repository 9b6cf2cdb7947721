/**
 * Summaries of the runs: medians per variant, the paired tcpkit/raw ratios
 * of each cell with their spread, the verdict against the cell's target, and
 * the markdown tables for the terminal and bench/RESULTS.md.
 */
import { median, pairRatios, ratioSpread, type RatioSpread } from "./paired-ratios.js";

export type Variant = "tcpkit" | "raw";

/** One measured run of one variant. Unmeasured figures are NaN. */
export interface Run {
  variant: Variant;
  /** The A/B pair this run belongs to (its partner ran right before or after it). */
  pair: number;
  msgs_per_s: number;
  p50_us: number;
  p99_us: number;
  /** CPU of the code under test, percent of one core over the run. */
  cpu_pct: number;
  /** CPU time of the code under test per message: the judged figure. */
  cpu_us_per_msg: number;
  rss_mb: number;
  /** Idle suite: bytes of RSS and of JS heap per connection. */
  rss_per_conn?: number;
  heap_per_conn?: number;
  errors: number;
}

/** How a cell is judged: tcpkit/raw of `metric` (lower is better) must be at most `max`. */
export interface Target {
  metric: "cpu_us_per_msg" | "rss_per_conn";
  max: number;
}

export interface Cell {
  suite: string;
  name: string;
  target: Target;
  runs: Run[];
}

type Figures = Omit<Run, "variant" | "pair">;

export interface CellSummary {
  suite: string;
  name: string;
  target: Target;
  tcpkit: Figures;
  raw: Figures;
  /** tcpkit/raw of the target metric over the pairs. */
  judged: RatioSpread;
  /** tcpkit/raw of messages per second over the pairs (higher is better; shown, not judged). */
  rate: RatioSpread;
  meets: boolean;
  runs: Run[];
}

const FIGURES = ["msgs_per_s", "p50_us", "p99_us", "cpu_pct", "cpu_us_per_msg", "rss_mb", "rss_per_conn", "heap_per_conn", "errors"] as const;

function medians(runs: readonly Run[]): Figures {
  const out: Record<string, number> = {};
  for (const figure of FIGURES) out[figure] = median(runs.map((run) => run[figure] ?? Number.NaN));
  return out as unknown as Figures;
}

/** tcpkit/raw of `figure` for each pair of the cell. */
function spreadOf(cell: Cell, figure: (typeof FIGURES)[number]): RatioSpread {
  const pairs = [...new Set(cell.runs.map((run) => run.pair))].map((pair): [number, number] => {
    const of = (variant: Variant): number =>
      cell.runs.find((run) => run.pair === pair && run.variant === variant)?.[figure] ?? Number.NaN;
    return [of("tcpkit"), of("raw")];
  });
  return ratioSpread(pairRatios(pairs));
}

export function summarize(cell: Cell): CellSummary {
  const judged = spreadOf(cell, cell.target.metric);
  return {
    suite: cell.suite,
    name: cell.name,
    target: cell.target,
    tcpkit: medians(cell.runs.filter((run) => run.variant === "tcpkit")),
    raw: medians(cell.runs.filter((run) => run.variant === "raw")),
    judged,
    rate: spreadOf(cell, "msgs_per_s"),
    meets: judged.median <= cell.target.max,
    runs: cell.runs,
  };
}

function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pair(summary: CellSummary, figure: (typeof FIGURES)[number], digits = 0): string {
  return `${fmt(summary.tcpkit[figure], digits)} / ${fmt(summary.raw[figure], digits)}`;
}

function range(spread: RatioSpread, digits: number): string {
  return `${fmt(spread.min, digits)}–${fmt(spread.max, digits)}`;
}

/** The noise column: `noise`, `clear`, or why it cannot be told. */
function noiseLabel(spread: RatioSpread): string {
  if (spread.noise === undefined) return `n/a (${spread.pairs} pair${spread.pairs === 1 ? "" : "s"})`;
  return spread.noise ? "**noise**" : "clear";
}

function verdict(summary: CellSummary): string {
  return `≤ ${summary.target.max} ${summary.meets ? "ok" : "**miss**"}`;
}

/** One markdown table per suite. */
export function markdownTables(summaries: readonly CellSummary[]): string {
  const out: string[] = [];
  const suites = [...new Set(summaries.map((summary) => summary.suite))];
  for (const suite of suites) {
    const rows = summaries.filter((summary) => summary.suite === suite);
    out.push(`### ${suite}`, "");
    if (rows[0]!.target.metric === "rss_per_conn") {
      out.push(
        "| cell | RSS B/conn tcpkit / raw | ratio (median) | min–max | noise | target | heap B/conn tcpkit / raw | RSS MB tcpkit / raw | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      );
      for (const s of rows) {
        out.push(
          `| ${s.name} | ${pair(s, "rss_per_conn")} | ${fmt(s.judged.median, 2)} | ${range(s.judged, 2)} | ${noiseLabel(s.judged)} | ` +
            `${verdict(s)} | ${pair(s, "heap_per_conn")} | ${pair(s, "rss_mb", 1)} | ${pair(s, "errors")} |`,
        );
      }
    } else {
      out.push(
        "| cell | CPU µs/msg tcpkit / raw | CPU/msg ratio (median) | min–max | noise | target | msgs/s tcpkit / raw | msgs/s ratio | min–max | noise | p50 µs | p99 µs | CPU % | RSS MB | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      );
      for (const s of rows) {
        out.push(
          `| ${s.name} | ${pair(s, "cpu_us_per_msg", 1)} | ${fmt(s.judged.median, 3)} | ${range(s.judged, 3)} | ${noiseLabel(s.judged)} | ` +
            `${verdict(s)} | ${pair(s, "msgs_per_s")} | ${fmt(s.rate.median, 3)} | ${range(s.rate, 3)} | ${noiseLabel(s.rate)} | ` +
            `${pair(s, "p50_us")} | ${pair(s, "p99_us")} | ${pair(s, "cpu_pct")} | ${pair(s, "rss_mb")} | ${pair(s, "errors")} |`,
        );
      }
    }
    out.push("");
  }
  return out.join("\n");
}
