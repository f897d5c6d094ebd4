import "server-only";
import type { ArmRoute } from "./router";

/** How the spec's operations list names each resource type (operations-list-all.json). */
const resourceDisplay: Record<string, string> = {
  mediaservices: "Media Services Account",
  assets: "Asset",
  contentKeyPolicies: "Content Key Policy",
  streamingLocators: "Streaming Locator",
  streamingPolicies: "Streaming Policy",
  streamingEndpoints: "Streaming Endpoint",
  transforms: "Transform",
  jobs: "Job",
  locations: "Location",
  operations: "Available Operations",
};

const verbs = { GET: "read", PUT: "write", PATCH: "write", DELETE: "delete" } as const;
const verbDisplay = { read: "Read", write: "Create or Update", delete: "Delete" } as const;

/**
 * The operation a route is, as ARM names it for RBAC ("Microsoft.Media/mediaservices/assets/read",
 * ".../listPaths/action"): the path's literal segments after the provider, without the names in it.
 */
export function operationOf(route: ArmRoute): { name: string; resource: string; operation: string } | null {
  const literal = route.pattern.source
    .replace(/^\^/, "")
    .replace(/\\\//g, "/")
    .replace(/\/\?\$$/, "")
    .replace(/\(\?<[A-Za-z]+>\[\^\/\]\+\)/g, "{}")
    .replace(/\\/g, "")
    .split("/")
    .filter((segment) => segment && segment !== "{}");
  const at = literal.findIndex((s) => s.toLowerCase() === "microsoft.media");
  if (at < 0) return null;
  const types = literal.slice(at + 1);
  const resource = types.at(-1)!;
  if (route.method === "POST") {
    // An action: the last literal segment, on the resource type before it.
    const owner = types.at(-2) ?? "Microsoft.Media";
    return {
      name: `Microsoft.Media/${types.join("/")}/action`,
      resource: resourceDisplay[owner] ?? owner,
      operation: resource.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase()),
    };
  }
  const verb = verbs[route.method];
  const display = resourceDisplay[resource] ?? resource;
  return {
    name: `Microsoft.Media/${types.join("/")}/${verb}`,
    resource: display,
    operation: `${verbDisplay[verb]} ${display}`,
  };
}

/** `GET /providers/Microsoft.Media/operations`: what this service offers, one entry per RBAC operation. */
export function operationsJson(routes: readonly ArmRoute[]) {
  const seen = new Map<
    string,
    { name: string; display: Record<string, string>; isDataAction: boolean; origin: string }
  >();
  for (const route of routes) {
    const op = operationOf(route);
    if (!op || seen.has(op.name)) continue;
    seen.set(op.name, {
      name: op.name,
      display: {
        provider: "Microsoft Media Services",
        resource: op.resource,
        operation: op.operation,
        description: op.operation,
      },
      isDataAction: false,
      origin: "user,system",
    });
  }
  return { value: [...seen.values()] };
}
