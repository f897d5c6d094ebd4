import "server-only";
import type { Principal } from "./principal";
import { readSession, type Session } from "./session";

export const principalOfSession = (s: Session): Principal => ({
  objectId: s.oid,
  tenantId: s.tid,
  kind: "user",
  name: s.name,
});

/** The signed-in user of this request, or null. */
export async function currentPrincipal(): Promise<Principal | null> {
  const session = await readSession();
  return session && principalOfSession(session);
}
