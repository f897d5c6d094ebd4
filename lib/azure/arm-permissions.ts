import "server-only";
import { armGet } from "./arm-vaults";

/** One entry of ARM's `Microsoft.Authorization/permissions`: what one role lets its holder do at a scope. */
export interface ArmPermission {
  actions: string[];
  notActions: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

/**
 * An action pattern as Azure matches it: case-insensitive, `*` for any run of characters, and a
 * `/*` segment also standing for no segment at all (so `userAssignedIdentities/*\/assign/action`
 * grants `userAssignedIdentities/assign/action`).
 */
function actionPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\/\*\//g, "/(?:.*/)?").replace(/\*/g, ".*")}$`, "i");
}

/** Whether any one role grants the action: some action of it matches, and none of its notActions does. */
export function permits(permissions: ArmPermission[], action: string): boolean {
  const matches = (patterns: string[]) => patterns.some((p) => actionPattern(p).test(action));
  return permissions.some((p) => matches(p.actions) && !matches(p.notActions));
}

/** The token's principal's permissions at an ARM scope, as ARM answers them (null when ARM refuses to say). */
export async function permissionsAt(scope: string, armToken: string): Promise<ArmPermission[] | null> {
  const { body } = await armGet<{ value: ArmPermission[] }>(
    `${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`,
    armToken,
  );
  return body?.value ?? null;
}
