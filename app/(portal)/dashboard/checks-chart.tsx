import type { CheckCountResult } from "@/lib/monitor/check-counts";
import { HourlyBars, type HourlySeries } from "./hourly-bars";

/** The results the chart tells apart, in stacking order from the axis up, and their colour. */
const results: HourlySeries<CheckCountResult>[] = [
  { id: "ok", label: "ok", color: "var(--ok)" },
  { id: "failed", label: "failed (key inaccessible)", color: "var(--bad)" },
  { id: "unreachable", label: "Key Vault unreachable", color: "var(--warn, #b58100)" },
  { id: "error", label: "check error", color: "var(--muted)" },
];

/**
 * Key checks per hour over the last day, by result: a run of failed checks stands out at once,
 * where the table shows only each account's last.
 */
export function ChecksChart({
  counts,
  now,
  hours = 24,
}: {
  counts: { hour: Date; result: CheckCountResult; count: number }[];
  now: Date;
  hours?: number;
}) {
  return (
    <HourlyBars
      id="checks-chart"
      series={results}
      entries={counts.map((c) => ({ at: c.hour, series: c.result, count: c.count }))}
      now={now}
      hours={hours}
      title={(total) => `Key checks in the last ${hours} hours: ${total}`}
      unit="checks"
      note={`key checks, last ${hours} hours, one bar an hour; counted every few seconds`}
    />
  );
}
