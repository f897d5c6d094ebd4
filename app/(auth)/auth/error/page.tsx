import type { Metadata } from "next";

export const metadata: Metadata = { title: "Sign-in did not complete" };

const reasons: Record<string, string> = {
  cancelled: "Sign-in was cancelled at Entra ID.",
  expired: "The sign-in took too long or was started in another window. Start again.",
  state: "The sign-in reply did not match the request this browser made, so it was refused.",
  failed: "Entra ID's reply could not be verified. Start again; if it keeps failing, contact your administrator.",
};

export default async function SignInErrorPage({ searchParams }: { searchParams: Promise<{ reason?: string }> }) {
  const { reason } = await searchParams;
  return (
    <>
      <h1>Sign-in did not complete</h1>
      <p role="alert">{reasons[reason ?? ""] ?? reasons.failed}</p>
      <p>
        <a href="/auth/sign-in">Sign in again</a>
      </p>
    </>
  );
}
