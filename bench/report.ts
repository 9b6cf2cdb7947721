/**
 * Summaries of the runs: medians per variant, the tcpkit/raw ratio of each
 * cell against its target, and the markdown tables for the terminal and
 * bench/RESULTS.md.
 */
import { median } from "./proc.js";

export type Variant = "tcpkit" | "raw";

/** One measured run of one variant. Unmeasured figures are NaN. */
export interface Run {
  variant: Variant;
  msgs_per_s: number;
  mb_per_s: number;
  p50_us: number;
  p99_us: number;
  /** CPU of the code under test, percent of one core over the run. */
  cpu_pct: number;
  /** CPU time of the code under test per message (the steadiest figure here). */
  cpu_us_per_msg: number;
  rss_mb: number;
  /** Idle suite: bytes of RSS and of JS heap per connection. */
  rss_per_conn?: number;
  heap_per_conn?: number;
  errors: number;
}

/** How a cell's ratio is judged. */
export interface Target {
  /** The figure compared. */
  metric: "msgs_per_s" | "rss_per_conn";
  /** `min`: tcpkit/raw must be at least `ratio`; `max`: at most. */
  kind: "min" | "max";
  ratio: number;
}

export interface Cell {
  suite: string;
  name: string;
  target: Target;
  runs: Run[];
}

export interface CellSummary {
  suite: string;
  name: string;
  target: Target;
  tcpkit: Omit<Run, "variant">;
  raw: Omit<Run, "variant">;
  /** Median over the A/B pairs of tcpkit/raw for the target metric. */
  ratio: number;
  /** The same for CPU time per message (lower is better for tcpkit). */
  cpuRatio: number;
  meets: boolean;
  runs: Run[];
}

const FIGURES = ["msgs_per_s", "mb_per_s", "p50_us", "p99_us", "cpu_pct", "cpu_us_per_msg", "rss_mb", "rss_per_conn", "heap_per_conn", "errors"] as const;

function medians(runs: readonly Run[]): Omit<Run, "variant"> {
  const out: Record<string, number> = {};
  for (const figure of FIGURES) out[figure] = median(runs.map((run) => run[figure] ?? Number.NaN));
  return out as unknown as Omit<Run, "variant">;
}

/** Pairs the i-th tcpkit run with the i-th raw run (they ran next to each other). */
function pairedRatio(cell: Cell, metric: keyof Run): number {
  const a = cell.runs.filter((run) => run.variant === "tcpkit");
  const b = cell.runs.filter((run) => run.variant === "raw");
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    ratios.push((a[i]![metric] as number) / (b[i]![metric] as number));
  }
  return median(ratios);
}

export function summarize(cell: Cell): CellSummary {
  const ratio = pairedRatio(cell, cell.target.metric);
  return {
    suite: cell.suite,
    name: cell.name,
    target: cell.target,
    tcpkit: medians(cell.runs.filter((run) => run.variant === "tcpkit")),
    raw: medians(cell.runs.filter((run) => run.variant === "raw")),
    ratio,
    cpuRatio: pairedRatio(cell, "cpu_us_per_msg"),
    meets: cell.target.kind === "min" ? ratio >= cell.target.ratio : ratio <= cell.target.ratio,
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

function verdict(summary: CellSummary): string {
  const sign = summary.target.kind === "min" ? "≥" : "≤";
  return `${sign} ${summary.target.ratio} ${summary.meets ? "ok" : "**miss**"}`;
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
        "| cell | RSS B/conn tcpkit / raw | ratio | target | heap B/conn tcpkit / raw | RSS MB tcpkit / raw | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
      );
      for (const s of rows) {
        out.push(
          `| ${s.name} | ${pair(s, "rss_per_conn")} | ${fmt(s.ratio, 2)} | ${verdict(s)} | ${pair(s, "heap_per_conn")} | ${pair(s, "rss_mb", 1)} | ${pair(s, "errors")} |`,
        );
      }
    } else {
      out.push(
        "| cell | msgs/s tcpkit / raw | ratio | target | MB/s tcpkit / raw | p50 µs | p99 µs | CPU % | CPU µs/msg | CPU/msg ratio | RSS MB | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      );
      for (const s of rows) {
        out.push(
          `| ${s.name} | ${pair(s, "msgs_per_s")} | ${fmt(s.ratio, 3)} | ${verdict(s)} | ${pair(s, "mb_per_s", 1)} | ` +
            `${pair(s, "p50_us")} | ${pair(s, "p99_us")} | ${pair(s, "cpu_pct")} | ${pair(s, "cpu_us_per_msg", 1)} | ` +
            `${fmt(s.cpuRatio, 3)} | ${pair(s, "rss_mb")} | ${pair(s, "errors")} |`,
        );
      }
    }
    out.push("");
  }
  return out.join("\n");
}
