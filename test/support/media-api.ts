/**
 * The media operations as the REST API runs them, for tests that drive them with ARM bodies and
 * read ARM's JSON: each lib/media module, its reads and writes replaced by lib/arm's (which parse
 * the body into lib/media's typed input and serialize the record it returns).
 */
import { assetOperations } from "@/lib/arm/media/assets";
import * as mediaAssets from "@/lib/media/assets";
import { contentKeyPolicyOperations } from "@/lib/arm/media/content-key-policies";
import * as mediaPolicies from "@/lib/media/content-key-policies";
import { listAssetStreamingLocators, streamingLocatorOperations } from "@/lib/arm/media/streaming-locators";
import * as mediaLocators from "@/lib/media/streaming-locators";
import { jobOperations } from "@/lib/arm/media/jobs";
import * as mediaJobs from "@/lib/media/jobs";
import { streamingEndpointOperations } from "@/lib/arm/media/streaming-endpoints";
import * as mediaStreamingEndpoints from "@/lib/media/streaming-endpoints";
import { transformOperations } from "@/lib/arm/media/transforms";
import * as mediaTransforms from "@/lib/media/transforms";

export const assets = {
  ...mediaAssets,
  listAssetsFor: assetOperations.list,
  getAssetFor: assetOperations.get,
  putAssetFor: assetOperations.put,
  patchAssetFor: assetOperations.patch,
};

export const transforms = {
  ...mediaTransforms,
  listTransformsFor: transformOperations.list,
  getTransformFor: transformOperations.get,
  putTransformFor: transformOperations.put,
};

export const streamingEndpoints = {
  ...mediaStreamingEndpoints,
  listStreamingEndpointsFor: streamingEndpointOperations.list,
  getStreamingEndpointFor: streamingEndpointOperations.get,
  putStreamingEndpointFor: streamingEndpointOperations.put,
  patchStreamingEndpointFor: streamingEndpointOperations.patch,
};

export const jobs = {
  ...mediaJobs,
  listJobsFor: jobOperations.list,
  getJobFor: jobOperations.get,
  putJobFor: jobOperations.put,
  patchJobFor: jobOperations.patch,
};

export const locators = {
  ...mediaLocators,
  listStreamingLocatorsFor: streamingLocatorOperations.list,
  getStreamingLocatorFor: streamingLocatorOperations.get,
  putStreamingLocatorFor: streamingLocatorOperations.put,
  listContentKeysFor: streamingLocatorOperations.actions.listContentKeys,
  listAssetStreamingLocatorsFor: listAssetStreamingLocators,
};

export const policies = {
  ...mediaPolicies,
  listContentKeyPoliciesFor: contentKeyPolicyOperations.list,
  getContentKeyPolicyFor: contentKeyPolicyOperations.get,
  putContentKeyPolicyFor: contentKeyPolicyOperations.put,
  patchContentKeyPolicyFor: contentKeyPolicyOperations.patch,
  getPolicyPropertiesWithSecretsFor: contentKeyPolicyOperations.actions.getPolicyPropertiesWithSecrets,
};
