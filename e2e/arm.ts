/**
 * The official clients against the e2e stack, and test-data setup through the emulator's
 * management plane as the demo automation app (Owner).
 */
import { AzureMediaServices } from "@azure/arm-mediaservices";
import { bearerTokenAuthenticationPolicyName } from "@azure/core-rest-pipeline";
import { ClientSecretCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { httpsJson } from "../emulator/test-support";
import { demoAutomationApp, demoSubscriptions, demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { emulatorAgent, e2eStack } from "./stack";
import { apiAppIdUri, apiMode, clientCredentialsToken, mintToken } from "./tokens";

/** The official Azure clients as the automation app, against the e2e emulator. */
export function automationClients() {
  const agent = emulatorAgent();
  const credential = new ClientSecretCredential(
    demoAutomationApp.tenantId,
    demoAutomationApp.clientId,
    demoAutomationApp.secret,
    { authorityHost: e2eStack.emulatorUrl, disableInstanceDiscovery: true, agent },
  );
  return {
    media: new AzureMediaServices(credential, demoSubscriptions.contosoMedia.id, {
      endpoint: e2eStack.emulatorUrl,
      agent,
    }),
    keys: (vault: string) =>
      new KeyClient(`https://${vault}.vault.localhost:${e2eStack.emulatorPort}`, credential, { agent }),
  };
}

/**
 * The official client called at the portal's own URL (no ARM front door), as clients call the API
 * in Azure, with `token()` for the API's App ID URI. The e2e stack serves plain http on loopback,
 * which the client refuses unless told, and where Azure's bearer policy refuses to send any token
 * (in Azure the API is behind https): a policy of our own sets the same header, and everything
 * else is the client's own.
 */
export function directMediaClient(token: () => Promise<string>): AzureMediaServices {
  const credential = { getToken: async () => ({ token: await token(), expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const client = new AzureMediaServices(credential, demoSubscriptions.contosoMedia.id, {
    endpoint: e2eStack.baseURL,
    credentialScopes: [`${apiAppIdUri}/.default`],
    allowInsecureConnection: true,
  });
  client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
  client.pipeline.addPolicy({
    name: "bearerOverLoopbackHttp",
    sendRequest: async (request, next) => (
      request.headers.set("authorization", `Bearer ${await token()}`),
      next(request)
    ),
  });
  return client;
}

/**
 * The official client as this project calls the API: through the emulator's ARM front door as
 * the automation app ("arm"), or directly as the Contoso owner with a user token for the API's
 * App ID URI ("direct"), which the API trades for ARM tokens on the owner's behalf.
 */
export function mediaClient(): AzureMediaServices {
  if (apiMode() === "arm") return automationClients().media;
  return directMediaClient(() =>
    mintToken({ oid: demoUsers.owner.objectId, tid: demoTenants.contoso.id, name: demoUsers.owner.name }),
  );
}

/** An ARM call to the emulator as the automation app. */
export async function armCall(method: string, resourcePath: string, body?: unknown, apiVersion = "2023-01-31") {
  const token = await clientCredentialsToken(demoAutomationApp);
  const res = await httpsJson(
    emulatorAgent(),
    method,
    `${e2eStack.emulatorUrl}${resourcePath}?api-version=${apiVersion}`,
    body,
    { authorization: `Bearer ${token}` },
  );
  if (res.status >= 300) throw new Error(`${method} ${resourcePath}: HTTP ${res.status}`);
  return res.json;
}

/** Gives a principal key permissions (default get/wrapKey/unwrapKey) on each named vault, as the vault's owner would in Azure. */
export async function grantKeyAccess(
  principalId: string,
  vaults: string[],
  tenantId: string,
  keys = ["get", "wrapKey", "unwrapKey"],
) {
  for (const vault of vaults)
    await accessPolicy("add", vault, { tenantId, objectId: principalId, permissions: { keys } });
}

/**
 * A new RSA-2048 key in the compliant vault, made by the automation app (granted get, create and
 * update there for it): the vault's client, the key (its first version) and its versionless id.
 */
export async function newCompliantKey(keyName: string) {
  const vault = demoVaults.compliant.name;
  const keys = automationClients().keys(vault);
  await grantKeyAccess(demoAutomationApp.objectId, [vault], demoTenants.contoso.id, ["get", "create", "update"]);
  const key = await keys.createRsaKey(keyName, { keySize: 2048 });
  return {
    vault,
    keys,
    key,
    keyIdentifier: `https://${vault}.vault.localhost:${e2eStack.emulatorPort}/keys/${keyName}`,
  };
}

/** Removes a principal's access policy from a vault, as a vault owner revoking a key would. */
export async function revokeKeyAccess(principalId: string, vault: string, tenantId: string) {
  await accessPolicy("remove", vault, { tenantId, objectId: principalId, permissions: { keys: [] } });
}

function accessPolicy(
  operation: "add" | "remove",
  vault: string,
  policy: { tenantId: string; objectId: string; permissions: { keys: string[] } },
) {
  return armCall(
    "PUT",
    `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/${operation}`,
    { properties: { accessPolicies: [policy] } },
  );
}

type ContentKeyPolicyBody = Parameters<AzureMediaServices["contentKeyPolicies"]["createOrUpdate"]>[3];

/** A content key policy: the AES-128 clear key, to holders of a JWT for `issuer` and `audience` signed (HS256) with `keyValue`. */
export function symmetricTokenPolicy(p: {
  issuer: string;
  audience: string;
  keyValue: Buffer;
  requiredClaims?: { claimType: string }[];
  name?: string;
  description?: string;
}): ContentKeyPolicyBody {
  return {
    ...(p.description ? { description: p.description } : {}),
    options: [
      {
        ...(p.name ? { name: p.name } : {}),
        configuration: { odataType: "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
        restriction: {
          odataType: "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
          issuer: p.issuer,
          audience: p.audience,
          primaryVerificationKey: {
            odataType: "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
            keyValue: p.keyValue,
          },
          alternateVerificationKeys: [],
          requiredClaims: p.requiredClaims ?? [],
          restrictionTokenType: "Jwt",
        },
      },
    ],
  } as ContentKeyPolicyBody;
}
