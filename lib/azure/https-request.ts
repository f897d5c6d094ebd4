/**
 * One HTTPS exchange through a given agent, the body collected as text. The Azure calls this
 * app makes outside the SDKs (JWKS, ARM reads, the identity provider, MSAL's network client,
 * health) need the local profile's agent (the emulator's CA, *.localhost), which Node's fetch
 * cannot take. An http: URL (the platform's managed identity endpoint) goes without the agent.
 */
import http from "node:http";
import https from "node:https";

export interface HttpsResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
}

export function httpsRequest(
  url: string,
  options: {
    method?: string;
    agent?: https.Agent;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
  } = {},
): Promise<HttpsResponse> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const plain = new URL(url).protocol === "http:";
    const request = plain ? http.request : https.request;
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        agent: plain ? undefined : options.agent,
        headers: options.headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const headers = Object.fromEntries(
            Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]),
          );
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error(`${url} did not answer within ${timeoutMs} ms`), { name: "TimeoutError" })),
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
