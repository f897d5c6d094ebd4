import { signOutAction } from "@/app/(auth)/auth/actions";
import { readSession } from "@/lib/auth/session";

export async function UserMenu() {
  const session = await readSession();
  if (!session) {
    return (
      // A plain link, never prefetched: the sign-in route redirects to Entra ID, and a prefetch of
      // that cross-origin redirect is refused by CORS (an error in every signed-out page's console).
      <a className="button" href="/auth/sign-in">
        Sign in
      </a>
    );
  }
  return (
    <form action={signOutAction} className="user-menu">
      <span data-testid="signed-in-user" title={session.upn}>
        {session.name}
      </span>
      <button type="submit">Sign out</button>
    </form>
  );
}
