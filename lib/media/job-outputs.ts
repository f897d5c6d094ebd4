import "server-only";
import { encodeInput, type EncodeOptions, type OutputFile } from "./encoder";
import { planOf, type EncodingPlan } from "./encoding-presets";
import { StoredJobOutputs, type StoredJobError } from "./jobs";
import { StoredTransformOutputs } from "./transforms";

/**
 * What a job writes into its output assets: as in Azure, the job's output i is made by the
 * transform's output i (its preset). Outputs with the same preset share one encode.
 */
export interface AssetWrite {
  assetNames: string[];
  files: OutputFile[];
}

export interface PlannedOutputs {
  /** One entry per distinct preset, with the assets it writes. */
  groups: { plan: EncodingPlan; assetNames: string[] }[];
  encodes: boolean;
}

/** A transform whose stored preset this service does not run (stored before presets were checked). */
export const configurationUnsupported = (preset: string): StoredJobError => ({
  code: "ConfigurationUnsupported",
  message: `The transform's preset ${preset} is not one this service runs; update the transform.`,
  category: "Configuration",
  retry: "DoNotRetry",
});

/** The plan of each of the job's outputs, or the error the job ends with when one has none. */
export function planOutputs(job: {
  outputs: unknown;
  transform: { outputs: unknown };
}): PlannedOutputs | StoredJobError {
  const presets = StoredTransformOutputs.parse(job.transform.outputs).map((o) => o.preset);
  const groups = new Map<string, { plan: EncodingPlan; assetNames: string[] }>();
  for (const [i, output] of StoredJobOutputs.parse(job.outputs).entries()) {
    const preset = presets[i] ?? presets[0]!;
    const plan = planOf(preset);
    if (!plan) return configurationUnsupported(String(preset.presetName ?? preset["@odata.type"]));
    const key = plan.kind === "copy" ? "copy" : plan.presetName;
    const group = groups.get(key) ?? { plan, assetNames: [] };
    group.assetNames.push(output.assetName);
    groups.set(key, group);
  }
  return { groups: [...groups.values()], encodes: [...groups.values()].some((g) => g.plan.kind === "encode") };
}

/** Makes the files of each group: the inputs as they are for a copy, their encodes otherwise. */
export async function produceOutputs(
  inputs: (OutputFile & { name: string })[],
  planned: PlannedOutputs,
  options: EncodeOptions,
): Promise<AssetWrite[]> {
  const encodes = planned.groups.filter((g) => g.plan.kind === "encode").length * inputs.length;
  let done = 0;
  const writes: AssetWrite[] = [];
  for (const { plan, assetNames } of planned.groups) {
    if (plan.kind === "copy") {
      writes.push({ assetNames, files: inputs });
      continue;
    }
    const files: OutputFile[] = [];
    for (const input of inputs) {
      const onProgress = (share: number) => options.onProgress((done + share) / encodes);
      files.push(...(await encodeInput(input, plan.ladder, { ...options, onProgress })));
      done++;
    }
    writes.push({ assetNames, files });
  }
  return writes;
}
