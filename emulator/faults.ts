/**
 * Test and benchmark controls: injected faults and request counters. Faults match a surface
 * (Key Vault, the managed identity endpoint, Entra ID, or Event Grid's deliveries to webhooks) and optionally a vault, key and operation; each
 * fires for a number of requests, for a ratio of them, or until cleared.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";

export const FaultInput = z
  .object({
    target: z.enum(["keyvault", "managed-identity", "entra", "eventgrid"]).default("keyvault"),
    vault: z.string().toLowerCase().optional(),
    key: z.string().toLowerCase().optional(),
    operation: z.string().optional(),
    kind: z.enum(["status", "latency", "drop"]),
    status: z.number().int().min(400).max(599).optional(),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    count: z.number().int().min(1).optional(),
    ratio: z.number().gt(0).max(1).optional(),
  })
  .refine((f) => f.kind !== "status" || f.status !== undefined, { message: "a status fault needs a status" })
  .refine((f) => f.kind !== "latency" || f.latencyMs !== undefined, { message: "a latency fault needs latencyMs" });

export type Fault = z.infer<typeof FaultInput> & { id: string; hits: number };

export interface Call {
  target: Fault["target"];
  vault?: string;
  key?: string;
  operation: string;
}

/** One request as the timeline keeps it: when it arrived, what it was, and the status a fault answered instead (if any). */
export interface TimelineEntry extends Call {
  at: number;
  faultStatus?: number;
}

/** The timeline keeps the most recent requests only: a benchmark reads windows of seconds, not hours. */
const TIMELINE_LIMIT = 200_000;

export class Faults {
  private rules: Fault[] = [];
  private counts = new Map<string, number>();
  private timeline: TimelineEntry[] = [];

  add(input: z.infer<typeof FaultInput>): Fault {
    const fault = { ...input, id: randomUUID(), hits: 0 };
    this.rules.push(fault);
    return fault;
  }

  remove(id?: string) {
    this.rules = id ? this.rules.filter((r) => r.id !== id) : [];
  }

  list(): Fault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  reset() {
    this.rules = [];
    this.counts.clear();
    this.timeline = [];
  }

  /** The requests of a surface (and vault), oldest first: per-window rates that counters cannot tell. */
  requests(target: Call["target"], vault?: string): TimelineEntry[] {
    return this.timeline.filter((e) => e.target === target && (!vault || e.vault === vault.toLowerCase()));
  }

  /** Counts an outcome that is not a request (an event delivered, retried, dead-lettered). */
  tally(call: Call) {
    const counter = [call.target, call.vault ?? "-", call.operation].join("|");
    this.counts.set(counter, (this.counts.get(counter) ?? 0) + 1);
  }

  /** Counts the call, and returns the faults it triggers (at most one of each kind). */
  record(call: Call): Fault[] {
    const counter = [call.target, call.vault ?? "-", call.operation].join("|");
    this.counts.set(counter, (this.counts.get(counter) ?? 0) + 1);
    const fired: Fault[] = [];
    for (const rule of this.rules) {
      if (rule.target !== call.target) continue;
      if (rule.vault && rule.vault !== call.vault?.toLowerCase()) continue;
      if (rule.key && rule.key !== call.key?.toLowerCase()) continue;
      if (rule.operation && rule.operation.toLowerCase() !== call.operation.toLowerCase()) continue;
      if (rule.count !== undefined && rule.hits >= rule.count) continue;
      if (rule.ratio !== undefined && Math.random() >= rule.ratio) continue;
      if (fired.some((f) => f.kind === rule.kind)) continue;
      rule.hits++;
      fired.push(rule);
    }
    const faultStatus = fired.find((f) => f.kind === "status")?.status;
    this.timeline.push({
      ...call,
      vault: call.vault?.toLowerCase(),
      at: Date.now(),
      ...(faultStatus ? { faultStatus } : {}),
    });
    if (this.timeline.length > TIMELINE_LIMIT) this.timeline.splice(0, this.timeline.length - TIMELINE_LIMIT);
    return fired;
  }

  /** { keyvault: { vault: { operation: n } }, "managed-identity": { "-": { token: n } }, entra: { "-": { jwks: n } } } */
  counters(): Record<string, Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, Record<string, number>>> = {};
    for (const [counter, n] of this.counts) {
      const [target, vault, operation] = counter.split("|") as [string, string, string];
      ((out[target] ??= {})[vault] ??= {})[operation] = n;
    }
    return out;
  }
}
