import "server-only";
import { readFileSync } from "node:fs";
import type https from "node:https";
import { getConfig } from "@/lib/config";
import { localAzureAgent } from "./local-agent";

let agent: https.Agent | null | undefined;

/**
 * The HTTPS agent every Azure SDK client and credential is given: in the local profile, one that
 * trusts the emulator's CA and resolves *.localhost; in the azure profile none (the SDK's default).
 * Read once, on first use, after the launcher has started the emulator.
 */
export function azureAgent(): https.Agent | undefined {
  if (agent === undefined) {
    const caFile = getConfig().endpoints.extraCaFile;
    agent = caFile ? localAzureAgent(readFileSync(caFile, "utf8")) : null;
  }
  return agent ?? undefined;
}
