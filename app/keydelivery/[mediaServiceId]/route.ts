// Key delivery for players: no session and no ARM token; the content key policy's own token
// restriction decides (lib/media/key-delivery.ts), and the account's key state gates it.
import { corsHeaders, deliverContentKey } from "@/lib/media/key-delivery";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ mediaServiceId: string }> };

const deliver = async (request: Request, { params }: Params) =>
  deliverContentKey(request, (await params).mediaServiceId);

export const GET = deliver;
export const POST = deliver;

export function OPTIONS() {
  return new Response(null, { status: 204, headers: corsHeaders });
}
