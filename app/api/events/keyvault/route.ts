// Key Vault's events from Event Grid (webhook): authenticated per delivery, logic in lib/events.
import { allowEventGridOrigin, receiveKeyVaultEvents } from "@/lib/events/keyvault-webhook";

export const dynamic = "force-dynamic";

export const POST = (request: Request) => receiveKeyVaultEvents(request);
export const OPTIONS = (request: Request) => allowEventGridOrigin(request);
