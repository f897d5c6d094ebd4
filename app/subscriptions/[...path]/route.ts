// The ARM-shaped REST API: every path under /subscriptions, routed case-insensitively (as ARM
// paths are) by lib/arm/media-api.ts, which authenticates and authorizes each request.
import { handleMediaApi } from "@/lib/arm/media-api";

export const dynamic = "force-dynamic";

export const GET = handleMediaApi;
export const PUT = handleMediaApi;
export const PATCH = handleMediaApi;
export const DELETE = handleMediaApi;
export const POST = handleMediaApi;
