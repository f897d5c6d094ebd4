import type { ReactNode } from "react";

/**
 * A wide table scrolls inside its own box instead of widening the page (a phone at 390 px). The box
 * is a named region that takes focus, so keyboard users can scroll it too (axe's
 * scrollable-region-focusable).
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A table with a header row of column names, in its own scrolling box; rows come as children. */
export function DataTable({
  testId,
  label,
  columns,
  children,
}: {
  testId: string;
  /** The name of its scrolling region, e.g. "Assets". */
  label: string;
  columns: string[];
  children: ReactNode;
}) {
  return (
    <TableScroll label={label}>
      <table data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </TableScroll>
  );
}

/** A titled section, labelled by its heading. */
export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {children}
    </section>
  );
}
