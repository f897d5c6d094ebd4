"use server";
import { z } from "zod";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { authenticatedAction } from "@/lib/actions/authenticated-action";
import { mintPlayerTokenFor } from "@/lib/media/player";

const MintPlayerTokenInput = AccountRefInput.extend({ locator: z.string().min(1).max(260) });

/** A test token for the player (lib/media/player.ts); on success the message is the token, which only this owner's page sees. */
export const mintPlayerTokenAction = authenticatedAction(MintPlayerTokenInput, async ({ principal, input }) => {
  const { locator, ...ref } = input;
  const { token } = await mintPlayerTokenFor({ principal, ref }, locator);
  return { ok: true, message: token };
});
