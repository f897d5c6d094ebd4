/** A small request/reply layer for the emulator's surfaces, over node:http(s). */
import type { IncomingMessage } from "node:http";

export interface EmuRequest {
  method: string;
  url: URL;
  /** Lower-cased host name without the port. */
  hostname: string;
  headers: IncomingMessage["headers"];
  raw: Buffer;
  /** Parsed JSON or form body; undefined when there is none. */
  body: unknown;
}

export interface Reply {
  status: number;
  json?: unknown;
  html?: string;
  headers?: Record<string, string>;
  /** Close the connection without a response (a dropped-connection fault). */
  drop?: boolean;
}

export const reply = (status: number, json?: unknown, headers?: Record<string, string>): Reply => ({
  status,
  json,
  headers,
});

/** A thrown reply: handlers throw it to answer with an error from any depth. */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

type Params = Record<string, string>;
type Handler = (req: EmuRequest, params: Params) => Promise<Reply> | Reply;

export class Router {
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  on(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  /** The reply of the first route matching method and path, or null when none does. */
  async dispatch(req: EmuRequest): Promise<Reply | null> {
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(req.url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const params = Object.fromEntries(
        Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v ?? "")]),
      );
      return route.handler(req, params);
    }
    return pathMatched
      ? reply(405, { error: { code: "MethodNotAllowed", message: `${req.method} is not supported here.` } })
      : null;
  }
}

export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString("utf8");
  if (contentType?.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    throw new ReplyError(
      reply(400, { error: { code: "BadParameter", message: "The request body is not valid JSON." } }),
    );
  }
}
