/**
 * One page of a list as a query, for any model (lib/arm/paging.ts builds it from the request): a
 * filter of the model's columns including the keyset "after the previous page", the order, and how
 * many rows to read at most (the page and one more, which says whether a next page exists).
 */
export interface RowPage {
  where: Record<string, unknown>;
  orderBy: Record<string, unknown>[];
  take: number;
}

/**
 * A findMany's where/orderBy/take: the list's scope (the account, the caller's subscriptions), and
 * when a page is asked for, its filter, order and bound; otherwise the whole list in its own order.
 */
export function pageArgs<Where, Order>(
  scope: Where,
  page: RowPage | undefined,
  order: Order,
): { where: Where; orderBy: Order; take?: number } {
  if (!page) return { where: scope, orderBy: order };
  return { where: { AND: [scope, page.where] } as Where, orderBy: page.orderBy as Order, take: page.take };
}

/**
 * The keyset condition "after these values" (or before them, for a previous page) over columns
 * that are never null, compared in order: (a > x) or (a = x and b > y) or ...
 */
export function afterKeys(columns: readonly string[], values: readonly string[], direction: "after" | "before") {
  const beyond = direction === "after" ? "gt" : "lt";
  return {
    OR: columns.map((column, i) => ({
      AND: [...columns.slice(0, i).map((c, j) => ({ [c]: values[j] })), { [column]: { [beyond]: values[i] } }],
    })),
  };
}
