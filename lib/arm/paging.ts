import "server-only";
import { createHash } from "node:crypto";
import { DomainError } from "@/lib/errors";

/** A field a list can be filtered or ordered by, as the spec names it ("name", "properties/created"). */
export type FieldType = "string" | "date";
export interface ListField<T> {
  type: FieldType;
  get(item: T): string | Date | null | undefined;
}

export interface ListSpec<T> {
  /** The fields `$filter` and `$orderby` accept (none: the list takes neither). */
  fields?: Record<string, ListField<T>>;
  /** Whether `$top` is defined for this list. */
  top?: boolean;
  /** The key an item's identity sorts by within equal values (its name, lower-cased). */
  key(item: T): string;
}

/** The page size when the caller gives none: Azure Media Services' own. */
export const defaultPageSize = 1000;

const invalid = (field: string, message: string) =>
  new DomainError("InvalidRequestContent", `${field}: ${message}`, field);

type Value = string | number | null;
type Clause = { field: string; op: "eq" | "ne" | "gt" | "ge" | "lt" | "le"; value: Value };

/** `$filter`: comparisons joined by `and`/`or` (`and` binds tighter), as the spec's examples write them. */
function parseFilter<T>(filter: string, fields: Record<string, ListField<T>>): Clause[][] {
  const tokens = filter.match(/'(?:[^']|'')*'|\S+/g) ?? [];
  const alternatives: Clause[][] = [[]];
  for (let i = 0; i < tokens.length;) {
    const [field, op, literal] = [tokens[i], tokens[i + 1]?.toLowerCase(), tokens[i + 2]];
    const spec = field ? fieldOf(fields, field) : undefined;
    if (!field || !spec)
      throw invalid("$filter", `'${field ?? ""}' cannot be filtered on; use ${Object.keys(fields).join(", ")}.`);
    if (!op || !["eq", "ne", "gt", "ge", "lt", "le"].includes(op))
      throw invalid("$filter", `'${op ?? ""}' is not a comparison; use eq, ne, gt, ge, lt or le.`);
    if (literal === undefined) throw invalid("$filter", `a value is missing after '${field} ${op}'.`);
    alternatives.at(-1)!.push({ field: spec.name, op: op as Clause["op"], value: literalOf(literal, spec.field.type) });
    i += 3;
    const joiner = tokens[i]?.toLowerCase();
    if (joiner === undefined) break;
    if (joiner === "or") alternatives.push([]);
    else if (joiner !== "and") throw invalid("$filter", `expected 'and' or 'or', not '${tokens[i]}'.`);
    i += 1;
    if (i >= tokens.length) throw invalid("$filter", `a comparison is missing after '${joiner}'.`);
  }
  return alternatives;
}

function fieldOf<T>(fields: Record<string, ListField<T>>, name: string) {
  const key = Object.keys(fields).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? { name: key, field: fields[key]! } : undefined;
}

function literalOf(literal: string, type: FieldType): Value {
  const text = /^'.*'$/.test(literal) ? literal.slice(1, -1).replace(/''/g, "'") : literal;
  if (type === "string") return text.toLowerCase();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw invalid("$filter", `'${literal}' is not a date and time (e.g. 2018-01-01T00:00:00Z).`);
  return time;
}

function valueOf<T>(item: T, field: ListField<T>): Value {
  const v = field.get(item);
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  return field.type === "date" ? Date.parse(v) : v.toLowerCase();
}

function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

const tests: Record<Clause["op"], (c: number) => boolean> = {
  eq: (c) => c === 0,
  ne: (c) => c !== 0,
  gt: (c) => c > 0,
  ge: (c) => c >= 0,
  lt: (c) => c < 0,
  le: (c) => c <= 0,
};

function parseOrderBy<T>(orderby: string, fields: Record<string, ListField<T>>) {
  const [name, direction = "asc", ...rest] = orderby.trim().split(/\s+/);
  const spec = name ? fieldOf(fields, name) : undefined;
  if (!spec) throw invalid("$orderby", `'${name ?? ""}' cannot be ordered by; use ${Object.keys(fields).join(", ")}.`);
  if (rest.length || !["asc", "desc"].includes(direction.toLowerCase()))
    throw invalid("$orderby", "use one field, then optionally asc or desc.");
  return { field: spec.field, name: spec.name, descending: direction.toLowerCase() === "desc" };
}

/**
 * The continuation token: where the previous page ended (its last item's sort value and key), and
 * a digest of the query it belongs to. It holds no state of this process, so it survives restarts
 * and works across instances; it names nothing the caller could not list anyway.
 */
interface Cursor {
  v: Value;
  k: string;
  q: string;
}
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
function decodeCursor(token: string, query: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Cursor;
    if (typeof c.k === "string" && c.q === query && (c.v === null || ["string", "number"].includes(typeof c.v)))
      return c;
  } catch {
    // fall through: refused below
  }
  throw invalid(
    "$skiptoken",
    "the continuation token is not one this list issued for this query; start again without it.",
  );
}

/**
 * One page of a list, as ARM pages: `$filter`, `$orderby` and `$top` where the spec defines them,
 * then `@odata.nextLink` (this URL with a `$skiptoken`) while more remain. Paging is by keyset
 * (sort value, then name), so items created or deleted between pages neither repeat nor shift.
 */
export function pageOf<T>(
  items: readonly T[],
  url: URL,
  spec: ListSpec<T>,
): { value: T[]; "@odata.nextLink"?: string } {
  const params = url.searchParams;
  const fields = spec.fields ?? {};
  const filter = params.get("$filter");
  const orderby = params.get("$orderby");
  const topParam = params.get("$top");
  if ((filter || orderby) && !spec.fields)
    throw invalid(filter ? "$filter" : "$orderby", "this list cannot be filtered or ordered.");
  if (topParam !== null && !spec.top) throw invalid("$top", "this list does not take $top; follow @odata.nextLink.");
  let size = defaultPageSize;
  if (topParam !== null) {
    size = Number(topParam);
    if (!Number.isInteger(size) || size < 1) throw invalid("$top", `'${topParam}' is not a positive whole number.`);
    size = Math.min(size, defaultPageSize);
  }
  const alternatives = filter ? parseFilter(filter, fields) : null;
  const order = orderby ? parseOrderBy(orderby, fields) : null;
  const query = createHash("sha256")
    .update(JSON.stringify([filter, orderby, order?.descending]))
    .digest("base64url")
    .slice(0, 16);

  const sortValue = (item: T): Value => (order ? valueOf(item, order.field) : null);
  const sign = order?.descending ? -1 : 1;
  const byKeyset = (a: { v: Value; k: string }, b: { v: Value; k: string }) =>
    sign * compare(a.v, b.v) || compare(a.k, b.k);
  let rows = items
    .filter(
      (item) =>
        !alternatives ||
        alternatives.some((all) => all.every((c) => tests[c.op](compare(valueOf(item, fields[c.field]!), c.value)))),
    )
    .map((item) => ({ item, v: sortValue(item), k: spec.key(item) }))
    .sort(byKeyset);
  const token = params.get("$skiptoken");
  if (token) {
    const cursor = decodeCursor(token, query);
    rows = rows.filter((r) => byKeyset(r, { v: cursor.v, k: cursor.k }) > 0);
  }
  const page = rows.slice(0, size);
  const result: { value: T[]; "@odata.nextLink"?: string } = { value: page.map((r) => r.item) };
  if (rows.length > size) {
    const last = page.at(-1)!;
    const next = new URL(url);
    next.searchParams.set("$skiptoken", encodeCursor({ v: last.v, k: last.k, q: query }));
    result["@odata.nextLink"] = next.toString();
  }
  return result;
}
