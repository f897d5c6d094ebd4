import type { CheckCountResult } from "@/lib/monitor/check-counts";

/** The results the chart tells apart, in stacking order from the axis up, and their colour. */
const results: { id: CheckCountResult; label: string; color: string }[] = [
  { id: "ok", label: "ok", color: "var(--ok)" },
  { id: "failed", label: "failed (key inaccessible)", color: "var(--bad)" },
  { id: "unreachable", label: "Key Vault unreachable", color: "var(--warn, #b58100)" },
  { id: "error", label: "check error", color: "var(--muted)" },
];

/**
 * Key checks per hour over the last day, by result, one stacked bar an hour (inline SVG): a run of
 * failed checks stands out at once, where the table shows only each account's last. Its title and
 * description, and the caption under it, give the counts in words.
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
  const hour = 3_600_000;
  // The last bar is the hour in progress.
  const start = (Math.floor(now.getTime() / hour) - hours + 1) * hour;
  const buckets = Array.from({ length: hours }, () => ({ ok: 0, failed: 0, unreachable: 0, error: 0 }));
  for (const c of counts) {
    const i = Math.floor((c.hour.getTime() - start) / hour);
    if (i >= 0 && i < hours) buckets[i]![c.result] += c.count;
  }
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed + b.unreachable + b.error));
  const totals = results.map((r) => ({ ...r, n: buckets.reduce((a, b) => a + b[r.id], 0) }));
  const all = totals.reduce((a, t) => a + t.n, 0);
  const title = `Key checks in the last ${hours} hours: ${all}`;
  const busiest = buckets.reduce(
    (best, b, i) => {
      const n = b.ok + b.failed + b.unreachable + b.error;
      return n > best.n ? { n, i } : best;
    },
    { n: 0, i: -1 },
  );
  const desc =
    `${totals.map((t) => `${t.n} ${t.label}`).join(", ")}.` +
    (busiest.i >= 0 ? ` Busiest hour: ${busiest.n} checks, ${hours - 1 - busiest.i} h ago.` : "");
  return (
    <figure style={{ margin: 0 }} data-testid="checks-chart" data-total={all}>
      <svg
        role="img"
        aria-labelledby="checks-chart-title checks-chart-desc"
        viewBox={`0 0 ${hours * 10} 40`}
        width="100%"
        height="80"
        preserveAspectRatio="none"
      >
        <title id="checks-chart-title">{title}</title>
        <desc id="checks-chart-desc">{desc}</desc>
        {buckets.map((b, i) => {
          let y = 40;
          return results.map((r) => {
            const h = (b[r.id] / max) * 37;
            y -= h;
            return h > 0 ? (
              <rect key={`${i}-${r.id}`} x={i * 10 + 1} y={y} width={8} height={h} fill={r.color}>
                <title>{`${b[r.id]} ${r.label}, ${i === hours - 1 ? "this hour" : `${hours - 1 - i} h ago`}`}</title>
              </rect>
            ) : null;
          });
        })}
        <line x1={0} y1={39.5} x2={hours * 10} y2={39.5} stroke="currentColor" strokeWidth={0.5} />
      </svg>
      <figcaption className="muted" style={{ display: "flex", flexWrap: "wrap", gap: "0.75rem" }}>
        {totals.map((t) => (
          <span key={t.id} data-result={t.id}>
            <span aria-hidden="true" style={{ color: t.color }}>
              ■
            </span>{" "}
            {t.label}: {t.n}
          </span>
        ))}
        <span>(key checks, last {hours} hours, one bar an hour; counted every few seconds)</span>
      </figcaption>
    </figure>
  );
}
