import "server-only";
import { createHash } from "node:crypto";
import type { RowPage } from "@/lib/db/row-page";
import { DomainError } from "@/lib/errors";

/** A field a list can be filtered or ordered by, as the spec names it ("name", "properties/created"). */
export type FieldType = "string" | "date";
export interface ListField<T> {
  type: FieldType;
  /** The field's value on an item as the list returns it (a key column's value: lower-cased). */
  get(item: T): string | Date | null | undefined;
  /** The column holding it, for lists the database pages. */
  column?: string;
  nullable?: boolean;
  /**
   * How a string column compares: "key" (stored lower-cased: compared with the lower-cased literal),
   * "text" (any case: eq/ne ignore case) or an enum's values in declaration order (its SQL order).
   */
  text?: "key" | "text" | readonly string[];
}

/** A component of the order every list ends with, so that each item has one place (its name's key...). */
export interface ListKey<T> {
  column?: string;
  get(item: T): string;
}

export interface ListSpec<T> {
  /** The fields `$filter` and `$orderby` accept (none: the list takes neither). */
  fields?: Record<string, ListField<T>>;
  /** Whether `$top` is defined for this list. */
  top?: boolean;
  /** What an item's identity sorts by within equal values (its name, lower-cased, then what else makes it unique). */
  keys: ListKey<T>[];
}

/** The page size when the caller gives none: Azure Media Services' own. */
export const defaultPageSize = 1000;

const invalid = (field: string, message: string) =>
  new DomainError("InvalidRequestContent", `${field}: ${message}`, field);

type Value = string | number | null;
type Op = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
type Clause = { field: string; op: Op; value: Value };

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
    alternatives.at(-1)!.push({ field: spec.name, op: op as Op, value: literalOf(literal, spec.field.type) });
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
  // A string, or an OData enum literal as the spec's examples write states: Microsoft.Media.JobState'Processing'.
  const quoted = /^(?:[A-Za-z_][\w.]*)?'(.*)'$/s.exec(literal);
  const text = quoted ? quoted[1]!.replace(/''/g, "'") : literal;
  if (type === "string") return text.toLowerCase();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw invalid("$filter", `'${literal}' is not a date and time (e.g. 2018-01-01T00:00:00Z).`);
  return time;
}

/**
 * An item's value of a field, as the list's order compares it: in memory, strings lower-cased;
 * from the database, as the column holds it (the SQL order the keyset continues).
 */
function valueOf<T>(item: T, field: ListField<T>, inDatabase: boolean): Value {
  const v = field.get(item);
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (field.type === "date") return Date.parse(v);
  return inDatabase ? v : v.toLowerCase();
}

function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

const tests: Record<Op, (c: number) => boolean> = {
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
 * The continuation token: where the previous page ended (its last item's sort value and keys), and
 * a digest of the query it belongs to. It holds no state of this process, so it survives restarts
 * and works across instances; it names nothing the caller could not list anyway.
 */
interface Cursor {
  v: Value[];
  q: string;
}
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
function decodeCursor(token: string, query: string, length: number): Value[] {
  try {
    const c = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Cursor;
    if (
      c.q === query &&
      Array.isArray(c.v) &&
      c.v.length === length &&
      c.v.every((v) => v === null || ["string", "number"].includes(typeof v))
    )
      return c.v;
  } catch {
    // fall through: refused below
  }
  throw invalid(
    "$skiptoken",
    "the continuation token is not one this list issued for this query; start again without it.",
  );
}

/** A list request, read from its URL and checked against what the list defines. */
export interface ListQuery<T> {
  size: number;
  alternatives: Clause[][] | null;
  order: { field: ListField<T>; descending: boolean } | null;
  /** The cursor's values (sort value when ordered, then the keys): where this page starts after. */
  after: Value[] | null;
  query: string;
}

export function listQueryOf<T>(url: URL, spec: ListSpec<T>): ListQuery<T> {
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
  const token = params.get("$skiptoken");
  const after = token ? decodeCursor(token, query, spec.keys.length + (order ? 1 : 0)) : null;
  return { size, alternatives, order: order && { field: order.field, descending: order.descending }, after, query };
}

const cursorOf = <T>(item: T, q: ListQuery<T>, spec: ListSpec<T>, inDatabase: boolean): Value[] => [
  ...(q.order ? [valueOf(item, q.order.field, inDatabase)] : []),
  ...spec.keys.map((k) => k.get(item)),
];

/**
 * The page: the first `size` of items already filtered, ordered and started after the cursor, and
 * `@odata.nextLink` (the request's URL, on the host the caller used, with a `$skiptoken`) while more remain.
 */
export function pageFrom<T, U = T>(
  items: readonly T[],
  q: ListQuery<T>,
  url: URL,
  spec: ListSpec<T>,
  options: { inDatabase: boolean; map?: (item: T) => U },
): { value: U[]; "@odata.nextLink"?: string } {
  const page = items.slice(0, q.size);
  const map = options.map ?? ((item: T) => item as unknown as U);
  const result: { value: U[]; "@odata.nextLink"?: string } = { value: page.map(map) };
  if (items.length > q.size) {
    const next = new URL(url);
    next.searchParams.set(
      "$skiptoken",
      encodeCursor({ v: cursorOf(page.at(-1)!, q, spec, options.inDatabase), q: q.query }),
    );
    result["@odata.nextLink"] = next.toString();
  }
  return result;
}

/**
 * One page of a list held in memory (a few fixed items), as ARM pages: `$filter`, `$orderby` and
 * `$top` where the spec defines them. Paging is by keyset (sort value, then keys), so items created
 * or deleted between pages neither repeat nor shift.
 */
export function pageOf<T>(
  items: readonly T[],
  url: URL,
  spec: ListSpec<T>,
): { value: T[]; "@odata.nextLink"?: string } {
  const q = listQueryOf(url, spec);
  const fields = spec.fields ?? {};
  const sign = q.order?.descending ? -1 : 1;
  const byKeyset = (a: Value[], b: Value[]) => {
    for (let i = 0; i < a.length; i++) {
      const c = (q.order && i === 0 ? sign : 1) * compare(a[i]!, b[i]!);
      if (c) return c;
    }
    return 0;
  };
  const rows = items
    .filter(
      (item) =>
        !q.alternatives ||
        q.alternatives.some((all) =>
          all.every((c) => tests[c.op](compare(valueOf(item, fields[c.field]!, false), c.value))),
        ),
    )
    .map((item) => ({ item, at: cursorOf(item, q, spec, false) }))
    .sort((a, b) => byKeyset(a.at, b.at))
    .filter((r) => !q.after || byKeyset(r.at, q.after) > 0)
    .map((r) => r.item);
  return pageFrom(rows, q, url, spec, { inDatabase: false });
}

const sqlValue = <T>(field: ListField<T>, v: Value) => (field.type === "date" && v !== null ? new Date(v) : v);

function enumCanonical(values: readonly string[], v: Value) {
  return values.find((e) => e.toLowerCase() === String(v).toLowerCase());
}

/** A comparison of one column as SQL does it; in memory a null sorts first, and SQL keeps that (nulls first). */
function sqlClause<T>(field: ListField<T>, op: Op, v: Value): Record<string, unknown> {
  const c = field.column!;
  const withNulls = (w: Record<string, unknown>) => (field.nullable ? { OR: [w, { [c]: null }] } : w);
  if (Array.isArray(field.text)) {
    const values = field.text as readonly string[];
    const at = values.findIndex((e) => e === enumCanonical(values, v));
    const pick = (keep: (i: number) => boolean) => ({ [c]: { in: values.filter((_, i) => keep(i)) } });
    if (op === "eq") return at < 0 ? pick(() => false) : { [c]: values[at] };
    // Every row differs from a value the enum does not have.
    if (op === "ne") return at < 0 ? {} : withNulls({ [c]: { not: values[at] } });
    if (at < 0) throw invalid("$filter", `'${String(v)}' is not one of ${values.join(", ")}.`);
    const sqlOrder = { gt: (i: number) => i > at, ge: (i: number) => i >= at, lt: (i: number) => i < at };
    if (op === "le") return withNulls(pick((i) => i <= at));
    return op === "lt" ? withNulls(pick(sqlOrder.lt)) : pick(sqlOrder[op]);
  }
  const value = sqlValue(field, v);
  const equals = field.text === "text" ? { equals: value, mode: "insensitive" } : value;
  switch (op) {
    case "eq":
      return { [c]: equals };
    case "ne":
      return withNulls({ NOT: { [c]: equals } });
    case "lt":
    case "le":
      return withNulls({ [c]: { [op === "lt" ? "lt" : "lte"]: value } });
    default:
      return { [c]: { [op === "gt" ? "gt" : "gte"]: value } };
  }
}

/**
 * The page as a query: the filter, the order (sort field, then keys; nulls first ascending, as in
 * memory) and the keyset condition "after the cursor", so the database reads at most `size + 1` rows
 * whatever the list's length.
 */
export function sqlPageOf<T>(q: ListQuery<T>, spec: ListSpec<T>): RowPage {
  const fields = spec.fields ?? {};
  const and: Record<string, unknown>[] = [];
  if (q.alternatives)
    and.push({
      OR: q.alternatives.map((all) => ({ AND: all.map((c) => sqlClause(fields[c.field]!, c.op, c.value)) })),
    });
  type Col = { field: ListField<T>; descending: boolean };
  const cols: Col[] = [
    ...(q.order ? [q.order] : []),
    ...spec.keys.map((k) => ({
      field: { type: "string" as const, column: k.column, text: "key" as const, get: k.get },
      descending: false,
    })),
  ];
  for (const col of cols)
    if (!col.field.column) throw new Error("A list the database pages needs a column for each of its fields and keys.");
  const orderBy = cols.map(({ field, descending }) => ({
    [field.column!]: field.nullable
      ? { sort: descending ? "desc" : "asc", nulls: descending ? "last" : "first" }
      : descending
        ? "desc"
        : "asc",
  }));
  if (q.after) {
    const after = q.after;
    const alternatives = cols.map((col, i) => {
      const equal = cols.slice(0, i).map((prev, j) => ({ [prev.field.column!]: sqlValue(prev.field, after[j]!) }));
      const v = after[i]!;
      const c = col.field.column!;
      let beyond: Record<string, unknown> | null;
      if (v === null) beyond = col.descending ? null : { [c]: { not: null } };
      else if (col.descending) beyond = sqlClause({ ...col.field, nullable: false }, "lt", v);
      else beyond = sqlClause({ ...col.field, nullable: false }, "gt", v);
      if (beyond && col.descending && col.field.nullable) beyond = { OR: [beyond, { [c]: null }] };
      return beyond ? { AND: [...equal, beyond] } : null;
    });
    and.push({ OR: alternatives.filter((a) => a !== null) });
  }
  return { where: and.length ? { AND: and } : {}, orderBy, take: q.size + 1 };
}
