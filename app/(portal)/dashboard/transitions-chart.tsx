import { HourlyBars, type HourlySeries } from "./hourly-bars";

type Kind = "inaccessible" | "restored" | "rewrap" | "system";

/** The kinds of timeline entry the chart counts, and their colour. */
const kinds: readonly HourlySeries<Kind>[] = [
  { id: "inaccessible", label: "became inaccessible", color: "var(--bad)" },
  { id: "restored", label: "switched to or regained a customer key", color: "var(--ok)" },
  { id: "rewrap", label: "re-wrapped", color: "var(--muted)" },
  { id: "system", label: "back to the system key", color: "var(--warn, #b58100)" },
];

const kindOf = (t: { toState: string; reason: string }): Kind =>
  t.reason === "Rewrap"
    ? "rewrap"
    : t.toState === "CustomerKeyInaccessible"
      ? "inaccessible"
      : t.toState === "SystemKey"
        ? "system"
        : "restored";

/**
 * State changes per hour over the last day: a burst of keys becoming inaccessible reads faster
 * here than in the timeline's rows.
 */
export function TransitionsChart({
  transitions,
  now,
  hours = 24,
}: {
  transitions: { at: Date; toState: string; reason: string }[];
  now: Date;
  hours?: number;
}) {
  return (
    <HourlyBars
      id="transitions-chart"
      series={kinds}
      entries={transitions.map((t) => ({ at: t.at, series: kindOf(t), count: 1 }))}
      now={now}
      hours={hours}
      title={(total) => `State changes in the last ${hours} hours: ${total}`}
      unit="state changes"
      note={`last ${hours} hours, one bar an hour`}
    />
  );
}
