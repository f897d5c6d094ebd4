import "server-only";
import { randomUUID } from "node:crypto";
import { SubscriptionId } from "@/lib/accounts/schemas";
import { callerArmToken } from "@/lib/azure/on-behalf-of";
import { countAnonymousRefusal, sourceOf } from "@/lib/auth/anonymous-refusals";
import { authorize } from "@/lib/auth/authorize";
import { principalFromBearer } from "@/lib/auth/bearer";
import { rolesReadOnce } from "@/lib/auth/role-store";
import type { Principal } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { armErrorBody, DomainError, parseOrInvalid } from "@/lib/errors";
import { json } from "./http";
import { matchRoute, type ArmRoute } from "./router";
import { armRoutes } from "./routes";
import { logger } from "@/lib/observability/logger";

/**
 * Every PUT and PATCH writes under one subscription: a caller who may not write there is refused
 * before its body is read, so the service never reads (or holds) what an unauthorized caller sends.
 * Each operation authorizes again with its own scope.
 */
async function authorizeWriteBeforeBody(principal: Principal, path: string): Promise<void> {
  const subscription = /^\/subscriptions\/([^/]+)\//i.exec(path)?.[1];
  if (!subscription) return;
  const subscriptionId = parseOrInvalid(SubscriptionId, subscription, "subscriptionId");
  await authorize(principal, {
    subscriptionId,
    action: "write",
    operation: "Microsoft.Media/mediaservices/write",
    target: path,
  });
}

/** Authenticates, checks the api-version against the route's, and runs the route's handler. */
async function dispatch(routes: readonly ArmRoute[], request: Request, url: URL): Promise<Response> {
  const authorization = request.headers.get("authorization");
  const principal = await principalFromBearer(authorization);
  const apiVersion = url.searchParams.get("api-version");
  if (!apiVersion)
    throw new DomainError(
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    );
  const match = matchRoute(routes, request.method, url.pathname);
  if (match.kind === "none")
    return json(404, {
      error: { code: "InvalidResourceType", message: `No ${request.method} operation exists at '${url.pathname}'.` },
    });
  const supported = match.kind === "route" ? match.route.apiVersions : match.apiVersions;
  if (!supported.includes(apiVersion)) {
    throw new DomainError(
      "InvalidApiVersionParameter",
      `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(",")}'.`,
    );
  }
  if (match.kind === "method")
    return json(
      405,
      {
        error: {
          code: "MethodNotAllowed",
          message: `${request.method} is not an operation at '${url.pathname}'; it allows ${match.allowed.join(", ")}.`,
        },
      },
      { Allow: match.allowed.join(", ") },
    );
  if (request.method === "PUT" || request.method === "PATCH") await authorizeWriteBeforeBody(principal, url.pathname);
  return match.route.handler({
    request,
    url,
    principal,
    params: match.params,
    apiVersion,
    // The vault's facts and the identities a request links are read from ARM as the caller: the
    // service sees only what they see.
    armToken: callerArmToken(principal, authorization!.replace(/^Bearer\s+/i, "")),
  });
}

function domainErrorResponse(request: Request, url: URL, err: DomainError): Response {
  // Denied before anyone is known: counted per source, audited once a minute (not a row per request).
  if (err.status === 401)
    countAnonymousRefusal(sourceOf(request), { path: `${request.method} ${url.pathname}`, reason: err.code });
  const headers: Record<string, string> =
    err.status === 401
      ? {
          "WWW-Authenticate": `Bearer authorization_uri="${getConfig().endpoints.authorityHost}/common", error="invalid_token", error_description="${err.code}"`,
        }
      : {};
  if (err.retryAfterSeconds) headers["Retry-After"] = String(err.retryAfterSeconds);
  return json(err.status, armErrorBody(err), headers);
}

/**
 * Every request of the REST API: route it, map domain errors to ARM's shape, and answer anything
 * unexpected with ARM's 500 (never Next's error page). The request id of the answer is the one in
 * the log line, so a caller's report finds it.
 */
export function armApi(routes: readonly ArmRoute[]) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const requestId = randomUUID();
    const log = logger("arm").child({ requestId });
    const started = performance.now();
    let response: Response;
    try {
      response = await rolesReadOnce(() => dispatch(routes, request, url));
    } catch (err) {
      if (err instanceof DomainError) response = domainErrorResponse(request, url, err);
      else {
        log.error({ method: request.method, path: url.pathname, err }, "request failed");
        response = json(500, {
          error: {
            code: "InternalServerError",
            message: `The service could not complete the request (request ${requestId}). Try again, or report this id.`,
          },
        });
      }
    }
    response.headers.set("x-ms-request-id", requestId);
    log.debug(
      {
        method: request.method,
        path: url.pathname,
        status: response.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
    return response;
  };
}

export const handleMediaApi = armApi(armRoutes);
