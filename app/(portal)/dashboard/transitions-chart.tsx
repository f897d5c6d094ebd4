/** The kinds of timeline entry the chart counts, and their colour. */
const kinds = [
  { id: "inaccessible", label: "became inaccessible", color: "var(--bad)" },
  { id: "restored", label: "switched to or regained a customer key", color: "var(--ok)" },
  { id: "rewrap", label: "re-wrapped", color: "var(--muted)" },
  { id: "system", label: "back to the system key", color: "var(--warn, #b58100)" },
] as const;
type Kind = (typeof kinds)[number]["id"];

const kindOf = (t: { toState: string; reason: string }): Kind =>
  t.reason === "Rewrap"
    ? "rewrap"
    : t.toState === "CustomerKeyInaccessible"
      ? "inaccessible"
      : t.toState === "SystemKey"
        ? "system"
        : "restored";

/**
 * State changes per hour over the last day, one stacked bar an hour (inline SVG, no chart library):
 * a burst of keys becoming inaccessible reads faster here than in the timeline's rows. Its text
 * alternative lists the counts.
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
  const hour = 3_600_000;
  const start = now.getTime() - hours * hour;
  const buckets = Array.from({ length: hours }, () => ({ inaccessible: 0, restored: 0, rewrap: 0, system: 0 }));
  for (const t of transitions) {
    const i = Math.floor((t.at.getTime() - start) / hour);
    if (i >= 0 && i < hours) buckets[i]![kindOf(t)]++;
  }
  const max = Math.max(1, ...buckets.map((b) => b.inaccessible + b.restored + b.rewrap + b.system));
  const totals = kinds.map((k) => ({ ...k, n: buckets.reduce((a, b) => a + b[k.id], 0) }));
  const summary = `State changes in the last ${hours} hours: ${totals.map((k) => `${k.n} ${k.label}`).join(", ")}.`;
  return (
    <figure style={{ margin: 0 }} data-testid="transitions-chart">
      <svg
        role="img"
        aria-label={summary}
        viewBox={`0 0 ${hours * 10} 60`}
        width="100%"
        height="120"
        preserveAspectRatio="none"
      >
        {buckets.map((b, i) => {
          let y = 60;
          return kinds.map((k) => {
            const h = (b[k.id] / max) * 56;
            y -= h;
            return h > 0 ? (
              <rect key={`${i}-${k.id}`} x={i * 10 + 1} y={y} width={8} height={h} fill={k.color}>
                <title>{`${b[k.id]} ${k.label}, ${hours - i} h ago`}</title>
              </rect>
            ) : null;
          });
        })}
        <line x1={0} y1={59.5} x2={hours * 10} y2={59.5} stroke="currentColor" strokeWidth={0.5} />
      </svg>
      <figcaption className="muted" style={{ display: "flex", flexWrap: "wrap", gap: "0.75rem" }}>
        {totals.map((k) => (
          <span key={k.id}>
            <span aria-hidden="true" style={{ color: k.color }}>
              ■
            </span>{" "}
            {k.label}: {k.n}
          </span>
        ))}
        <span>(last {hours} hours, one bar an hour)</span>
      </figcaption>
    </figure>
  );
}
