/**
 * MSAL's HTTP client over node:https with a given agent: msal-node has no agent option, and in
 * the local profile its calls to the emulated Entra ID must trust the emulator's CA (through
 * lib/azure/local-agent.ts) without touching NODE_EXTRA_CA_CERTS or certificate checks.
 */
import https from "node:https";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";

const TIMEOUT_MS = 30_000;

function send<T>(method: "GET" | "POST", url: string, agent: https.Agent | undefined, options?: NetworkRequestOptions, timeout = TIMEOUT_MS): Promise<NetworkResponse<T>> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, agent, headers: options?.headers, timeout }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]));
        try {
          resolve({ status: res.statusCode ?? 0, headers, body: (text ? JSON.parse(text) : {}) as T });
        } catch {
          reject(new Error(`Entra ID answered ${res.statusCode} with a body that is not JSON`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`Entra ID did not answer within ${timeout} ms`)));
    req.on("error", reject);
    req.end(method === "POST" ? options?.body : undefined);
  });
}

export function msalNetworkClient(agent: https.Agent | undefined): INetworkModule {
  return {
    sendGetRequestAsync: (url, options, timeout) => send("GET", url, agent, options, timeout),
    sendPostRequestAsync: (url, options) => send("POST", url, agent, options),
  };
}
