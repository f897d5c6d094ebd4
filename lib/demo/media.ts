/**
 * The demo media that `npm start` seeds into the Contoso account, so its Media page shows
 * something on day one: a transform with a finished job, the job's output asset, an open content
 * key policy and a clear streaming locator. None of it holds a secret (the job's input URL has no
 * query string and is not kept sealed, as the job never runs again), so the seed needs no Key Vault.
 */
import { createHash } from "node:crypto";

const content = Buffer.from("Hello from the demo seed: the bytes a finished job copied into its output asset.\n");

export const demoMedia = {
  account: "contosomedia",
  transform: { id: "e4b8c0d2-6f7a-4b9c-8d0e-1f2a3b4c5d6e", name: "demo-adaptive", preset: "AdaptiveStreaming" },
  asset: { id: "f5c9d1e3-7a8b-4c0d-9e1f-2a3b4c5d6e7f", name: "demo-output", description: "Output of demo-job" },
  file: { name: "hello.txt", content, sha256: createHash("sha256").update(content).digest("hex") },
  job: {
    id: "a6d0e2f4-8b9c-4d1e-8f2a-3b4c5d6e7f80",
    name: "demo-job",
    input: { baseUri: "https://media.contoso.example/samples/", files: ["hello.txt"] },
  },
  policy: {
    id: "b7e1f3a5-9c0d-4e2f-9a3b-4c5d6e7f8091",
    name: "demo-open",
    optionId: "c8f2a4b6-0d1e-4f3a-8b4c-5d6e7f809102",
  },
  locator: { id: "d9a3b5c7-1e2f-4a4b-9c5d-6e7f80910213", name: "demo-clear", policy: "Predefined_ClearStreamingOnly" },
} as const;
