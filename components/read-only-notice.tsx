import { currentPrincipal } from "@/lib/auth/current";
import { rolesBySubscription } from "@/lib/auth/role-store";

const writerRoles = ["Owner", "Contributor"];

/**
 * Says why a page's forms are greyed out: the signed-in user holds only read roles on the
 * subscription of the page (an account's pages) or on every subscription of the page (the accounts
 * list), read from the same role assignments accessOf decides with. The one wording of the portal.
 * Nothing when the user may write on one of them, has no role there (the page is then not found
 * anyway), or is signed out.
 */
export async function ReadOnlyNotice({ subscriptionIds }: { subscriptionIds: string[] }) {
  const principal = await currentPrincipal();
  if (!principal) return null;
  const bySubscription = await rolesBySubscription(principal);
  const held = subscriptionIds.map((id) => bySubscription.get(id.toLowerCase()) ?? []).filter((r) => r.length > 0);
  if (held.length === 0 || held.some((roles) => roles.some((r) => writerRoles.includes(r)))) return null;
  const roles = [...new Set(held.flat())];
  return (
    <p className="notice" role="note" data-testid="read-only-notice">
      <strong>Read-only:</strong> you have {roles.join(" and ")} on{" "}
      {held.length === 1 ? "this subscription" : "these subscriptions"}. You can see everything here; creating, changing
      or deleting needs Owner or Contributor, which a subscription Owner can grant.
    </p>
  );
}
