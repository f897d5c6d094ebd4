import "server-only";
import { accountPath, accountRoutes, mediaServicesApiVersions } from "./accounts";
import { listKeyVersionUsage } from "./key-version-usage";
import { mediaResourceRoutes } from "./media-resources";
import { armPath, type ArmRoute } from "./router";

/**
 * Every operation of the ARM API, one row each: `{ method, pattern, apiVersions, handler }`.
 * A path that matches a row but not its method answers 405; a path no row matches, 404.
 */
export const armRoutes: readonly ArmRoute[] = [
  ...accountRoutes,
  {
    method: "POST",
    pattern: armPath(`${accountPath}/listKeyVersionUsage`),
    apiVersions: mediaServicesApiVersions,
    handler: listKeyVersionUsage,
  },
  ...mediaResourceRoutes,
];
