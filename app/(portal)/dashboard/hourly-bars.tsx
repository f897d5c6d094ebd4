/** One series of an hourly chart: what it counts, in stacking order from the axis up, and its colour. */
export interface HourlySeries<K extends string> {
  id: K;
  label: string;
  color: string;
}

const HOUR = 3_600_000;

/**
 * Counts per hour over the last `hours`, one stacked bar an hour (inline SVG, no chart library);
 * the last bar is the hour in progress. The picture's title and description, and the caption under
 * it, give the counts in words, so the chart reads without the picture too.
 */
export function HourlyBars<K extends string>({
  id,
  series,
  entries,
  now,
  hours = 24,
  title,
  unit,
  note,
}: {
  /** The figure's test id, and the prefix of its title's and description's ids. */
  id: string;
  series: readonly HourlySeries<K>[];
  entries: readonly { at: Date; series: K; count: number }[];
  now: Date;
  hours?: number;
  /** The title, given the total. */
  title: (total: number) => string;
  /** What one count is ("checks"), for the busiest hour. */
  unit: string;
  /** The caption's closing words. */
  note: string;
}) {
  const start = (Math.floor(now.getTime() / HOUR) - hours + 1) * HOUR;
  const buckets = Array.from({ length: hours }, () => new Map<K, number>(series.map((s) => [s.id, 0])));
  for (const e of entries) {
    const i = Math.floor((e.at.getTime() - start) / HOUR);
    if (i >= 0 && i < hours) buckets[i]!.set(e.series, (buckets[i]!.get(e.series) ?? 0) + e.count);
  }
  const sizes = buckets.map((b) => [...b.values()].reduce((a, n) => a + n, 0));
  const max = Math.max(1, ...sizes);
  const totals = series.map((s) => ({ ...s, n: buckets.reduce((a, b) => a + b.get(s.id)!, 0) }));
  const all = totals.reduce((a, t) => a + t.n, 0);
  const busiest = sizes.reduce((best, n, i) => (n > best.n ? { n, i } : best), { n: 0, i: -1 });
  const ago = (i: number) => (i === hours - 1 ? "this hour" : `${hours - 1 - i} h ago`);
  const desc =
    `${totals.map((t) => `${t.n} ${t.label}`).join(", ")}.` +
    (busiest.i >= 0 ? ` Busiest hour: ${busiest.n} ${unit}, ${ago(busiest.i)}.` : "");
  return (
    <figure style={{ margin: 0 }} data-testid={id} data-total={all}>
      <svg
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        viewBox={`0 0 ${hours * 10} 50`}
        width="100%"
        height="100"
        preserveAspectRatio="none"
      >
        <title id={`${id}-title`}>{title(all)}</title>
        <desc id={`${id}-desc`}>{desc}</desc>
        {buckets.map((b, i) => {
          let y = 50;
          return series.map((s) => {
            const h = (b.get(s.id)! / max) * 46;
            y -= h;
            return h > 0 ? (
              <rect key={`${i}-${s.id}`} x={i * 10 + 1} y={y} width={8} height={h} fill={s.color}>
                <title>{`${b.get(s.id)} ${s.label}, ${ago(i)}`}</title>
              </rect>
            ) : null;
          });
        })}
        <line x1={0} y1={49.5} x2={hours * 10} y2={49.5} stroke="currentColor" strokeWidth={0.5} />
      </svg>
      <figcaption className="muted" style={{ display: "flex", flexWrap: "wrap", gap: "0.75rem" }}>
        {totals.map((t) => (
          <span key={t.id} data-series={t.id}>
            <span aria-hidden="true" style={{ color: t.color }}>
              ■
            </span>{" "}
            {t.label}: {t.n}
          </span>
        ))}
        <span>({note})</span>
      </figcaption>
    </figure>
  );
}
