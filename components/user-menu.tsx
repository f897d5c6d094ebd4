import Link from "next/link";
import { signOutAction } from "@/app/(auth)/auth/actions";
import { readSession } from "@/lib/auth/session";

export async function UserMenu() {
  const session = await readSession();
  if (!session) {
    return (
      <Link className="button" href="/auth/sign-in">
        Sign in
      </Link>
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
