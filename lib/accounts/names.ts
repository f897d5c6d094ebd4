/**
 * ARM names (resource groups, accounts, every sub-resource) compare case-insensitively and
 * exactly: each row keeps the display case of its first create and this key, which a unique index
 * covers, so differently-cased concurrent creates make one resource. Never LIKE/ILIKE, where '_'
 * and '%' match other names.
 */
export const nameKey = (name: string) => name.toLowerCase();

/** A unique-constraint violation from Prisma (two writers created the same name or id). */
export const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "P2002";

/**
 * Runs a PUT that creates or updates by name, and runs it once more when a concurrent PUT created
 * the same name first: the second run finds that resource and updates it (one 201, one 200).
 */
export async function putOnce<T>(put: () => Promise<T>): Promise<T> {
  try {
    return await put();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return put();
  }
}
