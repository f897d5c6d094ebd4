/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages that must run from node_modules rather than be bundled
  // (native-ish code, WebAssembly, or dynamic requires).
  serverExternalPackages: [
    "@electric-sql/pglite",
    "@ffmpeg-installer/ffmpeg",
    "@prisma/schema-engine-wasm",
    "pg",
    "pino",
    "prom-client",
  ],
  // Server actions refuse a POST whose Origin is not this host (CSRF). Behind a proxy that
  // rewrites Host, the public host must be named to stay allowed.
  // Their bodies are capped far below Next's default of 1 MB: the portal's forms send a few
  // fields of names and ids (well under 8 KiB with React's action state), so 64 KiB leaves room
  // and bounds what an action reads before its session is checked (Next decodes the whole body
  // first). Next streams the body through the cap and stops at it; it answers 500, not 413
  // (a known TODO in Next's action handler), and the action never runs.
  experimental: {
    serverActions: {
      allowedOrigins: process.env.PUBLIC_URL ? [new URL(process.env.PUBLIC_URL).host] : [],
      bodySizeLimit: "64kb",
    },
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
