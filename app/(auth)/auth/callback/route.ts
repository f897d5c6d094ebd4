import { redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { completeSignIn } from "@/lib/auth/sign-in";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  const outcome = await completeSignIn(request.nextUrl.searchParams);
  redirect(outcome.ok ? outcome.returnTo : `/auth/error?reason=${outcome.reason}`);
}
