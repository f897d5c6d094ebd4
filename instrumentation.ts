// Runs once when a Next.js server starts: a bad configuration stops it at once, naming the
// variable, instead of failing on the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { getConfig } = await import("@/lib/config");
    const { applyLogLevel } = await import("@/lib/log-level");
    applyLogLevel(getConfig().logLevel);
    // Key delivery's IP rules read the client address: from the socket, not a header a client wrote.
    const { installClientAddress } = await import("@/lib/net/client-address");
    installClientAddress(getConfig().trustedProxies);
  }
}
