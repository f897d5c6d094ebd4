import { redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { beginSignIn } from "@/lib/auth/sign-in";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  redirect(await beginSignIn(request.nextUrl.searchParams.get("returnTo")));
}
