import { currentPrincipal } from "@/lib/auth/current";
import { rolesBySubscription } from "@/lib/auth/role-store";

const writerRoles = ["Owner", "Contributor"];

/**
 * Says why a page's forms are greyed out: the signed-in user holds only read roles on the
 * subscription (what accessOf decides, read from the same role assignments). Nothing for writers,
 * for users without a role there (the page is then not found anyway), or when signed out.
 */
export async function ReadOnlyNotice({ subscriptionId }: { subscriptionId: string }) {
  const principal = await currentPrincipal();
  if (!principal) return null;
  const roles = (await rolesBySubscription(principal)).get(subscriptionId.toLowerCase()) ?? [];
  if (roles.length === 0 || roles.some((r) => writerRoles.includes(r))) return null;
  return (
    <p className="notice" role="note" data-testid="read-only-notice">
      <strong>Read-only:</strong> you have {roles.join(" and ")} on this subscription. You can see everything here;
      creating, changing or deleting needs Owner or Contributor, which a subscription Owner can grant.
    </p>
  );
}
