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
