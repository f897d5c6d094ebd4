import { z } from "zod";
import { AccountName } from "./schemas";

/** The key states the accounts list filters by (what the dashboard counts). */
export const keyStateFilters = ["SystemKey", "CustomerKey", "CustomerKeyInaccessible"] as const;

/** A keyset position in the accounts list, as its links write it: name~resourceGroup~subscription, lower-cased. */
const Position = z
  .string()
  .transform((s) => s.split("~"))
  .pipe(z.tuple([z.string().regex(/^[a-z0-9]{3,24}$/), z.string().regex(/^[-\w.()]{1,90}$/), z.uuid()]));

/**
 * The accounts page's search parameters: anything malformed is dropped (the list unfiltered, the
 * first page), never an error page; a name search is a prefix of letters and digits, lower-cased.
 */
export const AccountsListParams = z.object({
  q: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]{1,24}$/)
    .optional()
    .catch(undefined),
  state: z.enum(keyStateFilters).optional().catch(undefined),
  subscription: z.uuid().toLowerCase().optional().catch(undefined),
  after: Position.optional().catch(undefined),
  before: Position.optional().catch(undefined),
  /** The notice after a delete: only an account name (letters and digits) is shown back. */
  deleted: AccountName.optional().catch(undefined),
});
export type AccountsListParams = z.infer<typeof AccountsListParams>;

export const positionParam = (at: readonly [string, string, string]) => at.join("~");

/** A keyset position on the dashboard, as its links write it: keyStatus~nameKey~id. */
const DashboardPosition = z
  .string()
  .transform((s) => s.split("~"))
  .pipe(z.tuple([z.enum(["Inaccessible", "Active"]), z.string().regex(/^[a-z0-9]{3,24}$/), z.uuid().toLowerCase()]))
  .transform(([keyStatus, nameKey, id]) => ({ keyStatus, nameKey, id }));

/**
 * The dashboard's search parameters: a state filter and where the page starts (after or before an
 * account, or the last page). Anything malformed is dropped: the unfiltered list, the first page.
 */
export const DashboardParams = z.object({
  state: z.enum(keyStateFilters).optional().catch(undefined),
  after: DashboardPosition.optional().catch(undefined),
  before: DashboardPosition.optional().catch(undefined),
  page: z.literal("last").optional().catch(undefined),
});
export type DashboardParams = z.infer<typeof DashboardParams>;

export const dashboardPositionParam = (at: { keyStatus: string; nameKey: string; id: string }) =>
  `${at.keyStatus}~${at.nameKey}~${at.id}`;
