/**
 * MSAL's HTTP client over node:https with a given agent: msal-node has no agent option, and in
 * the local profile its calls to the emulated Entra ID must trust the emulator's CA (through
 * lib/azure/local-agent.ts) without touching NODE_EXTRA_CA_CERTS or certificate checks.
 */
import type https from "node:https";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { httpsRequest } from "./https-request";

const TIMEOUT_MS = 30_000;

async function send<T>(
  method: "GET" | "POST",
  url: string,
  agent: https.Agent | undefined,
  options?: NetworkRequestOptions,
  timeout = TIMEOUT_MS,
): Promise<NetworkResponse<T>> {
  const res = await httpsRequest(url, {
    method,
    agent,
    headers: options?.headers,
    body: method === "POST" ? options?.body : undefined,
    timeoutMs: timeout,
  });
  try {
    return { status: res.status, headers: res.headers, body: (res.text ? JSON.parse(res.text) : {}) as T };
  } catch {
    throw new Error(`Entra ID answered ${res.status} with a body that is not JSON`);
  }
}

export function msalNetworkClient(agent: https.Agent | undefined): INetworkModule {
  return {
    sendGetRequestAsync: (url, options, timeout) => send("GET", url, agent, options, timeout),
    sendPostRequestAsync: (url, options) => send("POST", url, agent, options),
  };
}
