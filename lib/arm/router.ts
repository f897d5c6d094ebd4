import "server-only";
import type { Principal } from "@/lib/auth/principal";

export type ArmMethod = "GET" | "PUT" | "PATCH" | "DELETE" | "POST";

/** The caller's ARM token, fetched only by the requests that need it (lib/azure/on-behalf-of.ts). */
export type ArmToken = () => Promise<string | null>;

/** What a route's handler gets: the request, who sent it, and the path's named segments (URL-decoded). */
export interface ArmRequest {
  request: Request;
  url: URL;
  principal: Principal;
  params: Record<string, string>;
  apiVersion: string;
  armToken: ArmToken;
}

/** One operation of the ARM API, as the emulator's Router holds its routes. */
export interface ArmRoute {
  method: ArmMethod;
  pattern: RegExp;
  apiVersions: readonly string[];
  handler: (req: ArmRequest) => Promise<Response>;
}

/**
 * A path template as the spec writes it ("/subscriptions/{subscriptionId}/.../assets/{assetName}")
 * as a pattern: ARM paths are case-insensitive, a trailing slash is allowed, and each `{name}` is
 * one segment captured under that name.
 */
export function armPath(template: string): RegExp {
  const source = template
    .split(/(\{[A-Za-z]+\})/)
    .map((part) =>
      /^\{[A-Za-z]+\}$/.test(part) ? `(?<${part.slice(1, -1)}>[^/]+)` : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}/?$`, "i");
}

export type RouteMatch =
  | { kind: "route"; route: ArmRoute; params: Record<string, string> }
  /** The path is an ARM path here, but not with this method. */
  | { kind: "method"; allowed: ArmMethod[]; apiVersions: readonly string[] }
  | { kind: "none" };

/** The route for a method and path: the first whose pattern and method match. */
export function matchRoute(routes: readonly ArmRoute[], method: string, path: string): RouteMatch {
  const allowed: ArmMethod[] = [];
  let apiVersions: readonly string[] = [];
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method === method) {
      const params = Object.fromEntries(
        Object.entries(m.groups ?? {}).map(([k, v]) => [k, safeDecode(v ?? "")] as const),
      );
      return { kind: "route", route, params };
    }
    allowed.push(route.method);
    apiVersions = route.apiVersions;
  }
  return allowed.length ? { kind: "method", allowed, apiVersions } : { kind: "none" };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
