// The origin of streaming endpoints (hostName = this host + /streaming/{endpoint id}): no session;
// the locator id, the endpoint's state and the account's key state decide (lib/media/streaming-origin.ts).
import { serveStreaming, streamingCorsHeaders } from "@/lib/media/streaming-origin";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ endpointId: string; path: string[] }> };

const serve = async (request: Request, { params }: Params) => {
  const { endpointId, path } = await params;
  return serveStreaming(request, endpointId, path.map(decodeURIComponent));
};

export const GET = serve;
export const HEAD = serve;

export function OPTIONS() {
  return new Response(null, { status: 204, headers: streamingCorsHeaders });
}
