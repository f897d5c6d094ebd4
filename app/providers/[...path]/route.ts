// Tenant-level ARM paths (GET /providers/Microsoft.Media/operations), through the same route table
// as /subscriptions (lib/arm/routes.ts): authenticated, case-insensitive, ARM's JSON for unknown paths.
import { handleMediaApi } from "@/lib/arm/media-api";

export const dynamic = "force-dynamic";

export { handleMediaApi as GET, handleMediaApi as PUT, handleMediaApi as PATCH };
export { handleMediaApi as DELETE, handleMediaApi as POST };
