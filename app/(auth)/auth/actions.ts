"use server";
import { redirect } from "next/navigation";
import { signOut } from "@/lib/auth/sign-in";

export async function signOutAction(): Promise<never> {
  redirect(await signOut());
}
