import "server-only";
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import { DomainError } from "@/lib/errors";
import { putAssetFor } from "./assets";
import {
  CONTENT_KEY_ID_CLAIM,
  contentKeyPolicyTypes as odata,
  putContentKeyPolicyFor,
  resolveContentKeyPolicyWrite,
  type ContentKeyPolicyOptionInput,
} from "./content-key-policies";
import { InvalidJobInput, inputUrls } from "./job-input";
import { JOB_INPUT_HTTP, putJobFor } from "./jobs";
import type { MediaScope } from "./resource";
import type { CreateContentKeyPolicyInput, CreateJobInput, CreateStreamingLocatorInput } from "./schemas";
import { putStreamingLocatorFor } from "./streaming-locators";
import * as store from "./store";
import { putTransformFor } from "./transforms";

/**
 * The media page's forms, in the portal's words: each builds the typed input of the lib/media
 * operation the REST API calls (so the same authorization, key-state policy and audit), and an
 * error about a body field is told against the form's field, without the API's property path.
 */
type Scope = Omit<MediaScope, "parent">;

async function withFormFields<T>(fields: Record<string, string>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof DomainError) || !err.field) throw err;
    const inputField = err.field;
    const formField = Object.entries(fields).find(([field]) => inputField.startsWith(field))?.[1];
    if (!formField) throw err;
    const message = err.message.replace(`${inputField}: `, "");
    throw new DomainError(err.code, message, formField);
  }
}

export async function createAsset(scope: Scope, input: { assetName: string; description?: string }) {
  const { created } = await putAssetFor(
    scope,
    input.assetName,
    input.description ? { description: input.description } : {},
  );
  if (!created) throw new DomainError("Conflict", `The asset '${input.assetName}' exists already.`, "assetName");
}

/**
 * An open policy, or a token policy verified with a 256-bit symmetric key generated here: the key
 * is returned once, for the owner to give their token issuer, and kept only sealed.
 */
export async function createContentKeyPolicy(
  scope: Scope,
  input: z.output<typeof CreateContentKeyPolicyInput>,
): Promise<{ generatedKey?: string }> {
  // Authorized and the account read once: for this check, and for the write.
  const resolved = await resolveContentKeyPolicyWrite(scope, input.policyName);
  if (await store.contentKeyPolicyNameOf({ accountId: resolved.resolved!.account.id, name: input.policyName }))
    throw new DomainError("Conflict", `The content key policy '${input.policyName}' exists already.`, "policyName");
  const key = input.restriction === "token" ? randomBytes(32).toString("base64") : undefined;
  const restriction: ContentKeyPolicyOptionInput["restriction"] = key
    ? {
        "@odata.type": odata.token,
        // CreateContentKeyPolicyInput requires both for a token restriction.
        issuer: input.issuer ?? "",
        audience: input.audience ?? "",
        primaryVerificationKey: { "@odata.type": odata.symmetric, keyValue: key },
        alternateVerificationKeys: [],
        requiredClaims: input.requireKeyIdClaim ? [{ claimType: CONTENT_KEY_ID_CLAIM }] : [],
        restrictionTokenType: "Jwt",
      }
    : { "@odata.type": odata.open };
  await putContentKeyPolicyFor(resolved, input.policyName, {
    options: [{ name: input.restriction, configuration: { "@odata.type": odata.clearKey }, restriction }],
  });
  return key ? { generatedKey: key } : {};
}

export async function createStreamingLocator(scope: Scope, input: z.output<typeof CreateStreamingLocatorInput>) {
  await withFormFields({ assetName: "assetName", defaultContentKeyPolicyName: "contentKeyPolicyName" }, () =>
    putStreamingLocatorFor(scope, input.locatorName, {
      assetName: input.assetName,
      streamingPolicyName: input.streamingPolicyName,
      ...(input.contentKeyPolicyName ? { defaultContentKeyPolicyName: input.contentKeyPolicyName } : {}),
      filters: [],
    }),
  );
}

/**
 * A job from one URL: into an existing transform or a new one with the chosen preset, writing to
 * an existing asset or a new "<job>-output". Returns the names used.
 */
export async function createJobFromUrl(scope: Scope, input: z.output<typeof CreateJobInput>) {
  const transformName = input.transformName ?? input.newTransformName!;
  // Before anything is created, so that a mistyped URL leaves no transform or asset behind.
  try {
    inputUrls({ files: [input.inputUrl] });
  } catch (err) {
    if (err instanceof InvalidJobInput) throw new DomainError("InvalidRequestContent", err.message, "inputUrl");
    throw err;
  }
  if (!input.transformName)
    await withFormFields({ outputs: "newTransformName" }, async () => {
      const { created } = await putTransformFor(scope, transformName, {
        outputs: [
          {
            preset: { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: input.preset },
            onError: "StopProcessingJob",
            relativePriority: "Normal",
          },
        ],
      });
      if (!created)
        throw new DomainError(
          "Conflict",
          `The transform '${transformName}' exists already: pick it instead.`,
          "newTransformName",
        );
    });
  const assetName = input.outputAssetName ?? `${input.jobName}-output`;
  if (!input.outputAssetName) await putAssetFor(scope, assetName, { description: `Output of ${input.jobName}` });
  await withFormFields({ input: "inputUrl", outputs: "outputAssetName" }, () =>
    putJobFor({ ...scope, parent: transformName }, input.jobName, {
      input: { "@odata.type": JOB_INPUT_HTTP, files: [input.inputUrl] },
      outputs: [{ assetName }],
      priority: "Normal",
      correlationData: {},
    }),
  );
  return { transformName, assetName };
}
