/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages that must run from node_modules rather than be bundled
  // (native-ish code, WebAssembly, or dynamic requires).
  serverExternalPackages: ["@electric-sql/pglite", "@prisma/schema-engine-wasm", "pg"],
  // Server actions refuse a POST whose Origin is not this host (CSRF). Behind a proxy that
  // rewrites Host, the public host must be named to stay allowed.
  experimental: {
    serverActions: { allowedOrigins: process.env.PUBLIC_URL ? [new URL(process.env.PUBLIC_URL).host] : [] },
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
