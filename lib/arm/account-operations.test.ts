/**
 * Microsoft.Media/mediaservices as the spec has it, through the route handler in-process against
 * the emulator: PUT and PATCH as long-running operations (the Key Vault work runs after the
 * answer, and the operation is polled), the one-shot create on a customer key, every setting
 * stored and returned or refused, and the shapes of older api-versions.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  demoPortalApp,
  demoResourceGroup,
  demoStorageAccount,
  demoSubscriptions,
  demoUsers,
  demoVaults,
} from "@/lib/demo/directory";
import { etagOf, updateAccountFor } from "@/lib/accounts/changes";
import { createAccountFor, getAccountFor } from "@/lib/accounts/service";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { armClient, type ArmCall } from "@/test/support/arm-client";
import { principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { serveRoutes } from "@/test/support/route-server";
import { readsOf } from "@/test/support/statements";

const sub = demoSubscriptions.contosoMedia.id;
const accountPath = (name: string, apiVersion = "2023-01-01") =>
  `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=${apiVersion}`;
const storageId = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Storage/storageAccounts/${demoStorageAccount}`;
const identityPath = (name: string) =>
  `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

type Account = {
  identity?: { type: string; principalId?: string; userAssignedIdentities?: Record<string, unknown> };
  tags?: Record<string, string>;
  properties: {
    provisioningState?: string;
    encryption: {
      type: string;
      keyVaultProperties?: { keyIdentifier?: string; currentKeyIdentifier?: string };
      identity?: { useSystemAssignedIdentity: boolean; userAssignedIdentity?: string };
    };
    storageAccounts: { id: string; type: string; status?: string }[];
    keyDelivery?: { accessControl: { defaultAction: string; ipAllowList?: string[] } };
    publicNetworkAccess?: string;
    minimumTlsVersion?: string;
  };
  systemData?: Record<string, string>;
  error?: { code: string; message: string; target?: string };
};

let env: AppEnvironment;
let arm: ArmCall;

/** Polls an answer's Azure-AsyncOperation until the operation ends; returns every status seen. */
async function poll(started: { headers: Headers }) {
  const url = started.headers.get("azure-asyncoperation");
  assert.ok(url, "Azure-AsyncOperation");
  const seen: { status: string; error?: { code: string; message: string } }[] = [];
  for (;;) {
    const res = await arm("GET", new URL(url).pathname + new URL(url).search);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const body = res.json as { status: string; error?: { code: string; message: string } };
    seen.push(body);
    if (body.status !== "InProgress") return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function userAssignedIdentity(name: string) {
  const identity = (await env.emu.armFetch("PUT", identityPath(name), { location: "westus2" })).json as {
    properties: { principalId: string };
  };
  await env.emu.grantKeys(demoVaults.compliant.name, identity.properties.principalId);
  return identityPath(name);
}

before(async () => {
  env = await startAppEnvironment();
  arm = await armClient(env, demoUsers.owner);
});
after(async () => env?.dispose());

describe("long-running PUT and PATCH", () => {
  it("creates an account on a customer key read by a user-assigned identity in one call: 201 InProgress, polled to Succeeded", async () => {
    const identity = await userAssignedIdentity("id-oneshot");
    const keyIdentifier = `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`;
    const created = await arm("PUT", accountPath("oneshot"), {
      location: "westus2",
      tags: { team: "media" },
      identity: { type: "UserAssigned", userAssignedIdentities: { [identity]: {} } },
      properties: {
        encryption: {
          type: "CustomerKey",
          keyVaultProperties: { keyIdentifier },
          identity: { useSystemAssignedIdentity: false, userAssignedIdentity: identity },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const body = created.json as Account;
    assert.equal(body.properties.provisioningState, "InProgress");
    assert.equal(body.properties.encryption.type, "CustomerKey", "the goal is shown while the operation runs");
    assert.match(
      created.headers.get("azure-asyncoperation")!,
      /\/providers\/Microsoft\.Media\/locations\/westus2\/mediaServicesOperationStatuses\/[0-9a-f-]{36}\?api-version=2023-01-01$/,
    );
    assert.match(
      created.headers.get("location")!,
      /\/mediaServicesOperationResults\/[0-9a-f-]{36}\?api-version=2023-01-01$/,
    );
    assert.equal(created.headers.get("retry-after"), "1");

    const seen = await poll(created);
    assert.equal(seen.at(-1)!.status, "Succeeded", JSON.stringify(seen));
    const result = await arm("GET", new URL(created.headers.get("location")!).pathname + "?api-version=2023-01-01");
    assert.equal(result.status, 200);
    const account = result.json as Account;
    assert.equal(account.properties.provisioningState, "Succeeded");
    assert.equal(account.properties.encryption.type, "CustomerKey");
    assert.match(
      account.properties.encryption.keyVaultProperties!.currentKeyIdentifier!,
      /\/keys\/rsa-2048\/[0-9a-f]{32}$/,
    );
    assert.deepEqual(account.properties.encryption.identity, {
      useSystemAssignedIdentity: false,
      userAssignedIdentity: identity,
    });
    assert.deepEqual(account.tags, { team: "media" });
    assert.equal(account.systemData?.createdByType, "User");
    assert.equal(account.systemData?.createdBy, demoUsers.owner.name);
    assert.equal(account.systemData?.lastModifiedByType, "User");
  });

  it("refuses a one-shot customer-key create read by the system-assigned identity, saying what to do instead", async () => {
    const res = await arm("PUT", accountPath("oneshotsys"), {
      location: "westus2",
      identity: { type: "SystemAssigned" },
      properties: {
        encryption: {
          type: "CustomerKey",
          keyVaultProperties: { keyIdentifier: `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048` },
          identity: { useSystemAssignedIdentity: true },
        },
      },
    });
    assert.equal(res.status, 400);
    const error = (res.json as Account).error!;
    assert.equal(error.code, "CustomerKeyNeedsUserAssignedIdentity");
    assert.match(error.message, /create the account with encryption type SystemKey/i);
    assert.match(error.message, /user-assigned identity/);
    assert.equal((await arm("GET", accountPath("oneshotsys"))).status, 404, "nothing was created");
  });

  it("ends a refused binding Failed with the binding's code, and the account Failed on its old key", async () => {
    const created = await arm("PUT", accountPath("lrofail"), {
      location: "westus2",
      identity: { type: "SystemAssigned" },
    });
    assert.equal(created.status, 201);
    const patched = await arm("PATCH", accountPath("lrofail"), {
      properties: {
        encryption: {
          type: "CustomerKey",
          keyVaultProperties: { keyIdentifier: `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048` },
        },
      },
    });
    assert.equal(patched.status, 202);
    const seen = await poll(patched);
    assert.equal(seen.at(-1)!.status, "Failed");
    assert.equal(seen.at(-1)!.error?.code, "KeyVaultAccessDenied", "the account's identity was never granted the key");
    const account = (await arm("GET", accountPath("lrofail"))).json as Account;
    assert.equal(account.properties.provisioningState, "Failed");
    assert.equal(account.properties.encryption.type, "SystemKey");
  });

  it("refuses encryption.identity naming both the system-assigned and a user-assigned identity", async () => {
    const identity = await userAssignedIdentity("id-both");
    await arm("PUT", accountPath("bothids"), {
      location: "westus2",
      identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [identity]: {} } },
    });
    const res = await arm("PATCH", accountPath("bothids"), {
      properties: {
        encryption: {
          type: "CustomerKey",
          keyVaultProperties: { keyIdentifier: `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048` },
          identity: { useSystemAssignedIdentity: true, userAssignedIdentity: identity },
        },
      },
    });
    assert.equal(res.status, 400);
    assert.equal((res.json as Account).error?.code, "InvalidRequestContent");
    assert.equal((res.json as Account).error?.target, "properties.encryption.identity");
    assert.match((res.json as Account).error!.message, /mutually exclusive/);
  });
});

describe("a system key names nothing else", () => {
  it("refuses encryption.identity and keyVaultProperties with SystemKey (400 naming the field), never drops them", async () => {
    const identity = await userAssignedIdentity("id-systemkey");
    const put = (encryption: object) =>
      arm("PUT", accountPath("systemkeyextra"), {
        location: "westus2",
        identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [identity]: {} } },
        properties: { encryption: { type: "SystemKey", ...encryption } },
      });
    const both = await put({ identity: { useSystemAssignedIdentity: true, userAssignedIdentity: identity } });
    assert.equal(both.status, 400, JSON.stringify(both.json));
    assert.equal((both.json as Account).error?.target, "properties.encryption.identity");
    assert.match((both.json as Account).error!.message, /mutually exclusive/);
    const named = await put({ identity: { useSystemAssignedIdentity: false, userAssignedIdentity: identity } });
    assert.equal(named.status, 400, JSON.stringify(named.json));
    assert.equal((named.json as Account).error?.target, "properties.encryption.identity");
    assert.match((named.json as Account).error!.message, /system key/i);
    const vault = await put({
      keyVaultProperties: { keyIdentifier: `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048` },
    });
    assert.equal(vault.status, 400, JSON.stringify(vault.json));
    assert.equal((vault.json as Account).error?.target, "properties.encryption.keyVaultProperties");
    assert.match((vault.json as Account).error!.message, /system key takes no key vault properties/i);
    assert.equal((await arm("GET", accountPath("systemkeyextra"))).status, 404, "nothing was created");
  });
});

describe("the identities an account keeps", () => {
  /** An account on a customer key read by a user-assigned identity, created in one call and polled to Succeeded. */
  async function userAssignedCustomerKeyAccount(name: string) {
    const identity = await userAssignedIdentity(`id-${name}`);
    const created = await arm("PUT", accountPath(name), {
      location: "westus2",
      identity: { type: "UserAssigned", userAssignedIdentities: { [identity]: {} } },
      properties: {
        encryption: {
          type: "CustomerKey",
          keyVaultProperties: { keyIdentifier: `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048` },
          identity: { useSystemAssignedIdentity: false, userAssignedIdentity: identity },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal((await poll(created)).at(-1)!.status, "Succeeded");
    return identity;
  }

  it("a GET then PUT (and a PATCH) at 2020-05-01 keeps the user-assigned identity that reads the key", async () => {
    const identity = await userAssignedCustomerKeyAccount("oldroundtrip");
    for (const apiVersion of ["2020-05-01", "2021-05-01"]) {
      const read = (await arm("GET", accountPath("oldroundtrip", apiVersion))).json as Account;
      assert.equal(read.properties.encryption.identity, undefined, `${apiVersion} cannot express it`);
      const put = await arm("PUT", accountPath("oldroundtrip", apiVersion), read);
      assert.equal(put.status, 200, `PUT at ${apiVersion}: ${JSON.stringify(put.json)}`);
      const patch = await arm("PATCH", accountPath("oldroundtrip", apiVersion), {
        properties: { encryption: read.properties.encryption },
      });
      assert.equal(patch.status, 200, `PATCH at ${apiVersion}: ${JSON.stringify(patch.json)}`);
      const account = (await arm("GET", accountPath("oldroundtrip"))).json as Account;
      assert.deepEqual(account.properties.encryption.identity, {
        useSystemAssignedIdentity: false,
        userAssignedIdentity: identity,
      });
      assert.deepEqual(Object.keys(account.identity?.userAssignedIdentities ?? {}), [identity]);
      assert.equal(account.identity?.type, "UserAssigned");
    }
  });

  it("identity.type says which identities remain: None and SystemAssigned remove the user-assigned ones", async () => {
    for (const [name, type] of [
      ["uanone", "None"],
      ["uasystem", "SystemAssigned"],
    ] as const) {
      const identity = await userAssignedIdentity(`id-${name}`);
      const created = await arm("PUT", accountPath(name), {
        location: "westus2",
        identity: { type: "UserAssigned", userAssignedIdentities: { [identity]: {} } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const patched = await arm("PATCH", accountPath(name), { identity: { type } });
      assert.equal(patched.status, 202, JSON.stringify(patched.json));
      const account = (await arm("GET", accountPath(name))).json as Account;
      assert.equal(account.identity?.type, type);
      assert.equal(account.identity?.userAssignedIdentities, undefined, `${type}: no user-assigned identity remains`);
      assert.equal(Boolean(account.identity?.principalId), type === "SystemAssigned");
    }
  });

  it("refuses to remove the user-assigned identity that reads the customer key (400 at identity.type)", async () => {
    const identity = await userAssignedCustomerKeyAccount("uakeyreader");
    for (const type of ["None", "SystemAssigned"]) {
      const res = await arm("PATCH", accountPath("uakeyreader"), { identity: { type } });
      assert.equal(res.status, 400, `${type}: ${JSON.stringify(res.json)}`);
      assert.equal((res.json as Account).error?.target, "identity.type");
      assert.match((res.json as Account).error!.message, /reads the account's customer key/);
    }
    const account = (await arm("GET", accountPath("uakeyreader"))).json as Account;
    assert.equal(account.identity?.type, "UserAssigned");
    assert.deepEqual(Object.keys(account.identity?.userAssignedIdentities ?? {}), [identity]);
  });
});

describe("PUT replaces", () => {
  const restricted = {
    keyDelivery: { accessControl: { defaultAction: "Deny", ipAllowList: ["203.0.113.0/24"] } },
    publicNetworkAccess: "Disabled",
    minimumTlsVersion: "Tls11",
  };

  it("at 2023-01-01, what the body leaves out goes back to its default", async () => {
    assert.equal(
      (await arm("PUT", accountPath("replaced"), { location: "westus2", properties: restricted })).status,
      201,
    );
    const put = await arm("PUT", accountPath("replaced"), { location: "westus2", tags: { t: "1" } });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const account = (await arm("GET", accountPath("replaced"))).json as Account;
    assert.deepEqual(account.tags, { t: "1" });
    assert.deepEqual(account.properties.keyDelivery, { accessControl: { defaultAction: "Allow", ipAllowList: [] } });
    assert.equal(account.properties.publicNetworkAccess, "Enabled");
    assert.equal(account.properties.minimumTlsVersion, "Tls12");
  });

  it("at an older api-version, what that version does not define is kept", async () => {
    const expected = {
      "2020-05-01": { defaultAction: "Deny", publicNetworkAccess: "Disabled", minimumTlsVersion: "Tls11" },
      "2021-05-01": { defaultAction: "Allow", publicNetworkAccess: "Disabled", minimumTlsVersion: "Tls11" },
      "2021-11-01": { defaultAction: "Allow", publicNetworkAccess: "Enabled", minimumTlsVersion: "Tls11" },
    };
    for (const [apiVersion, want] of Object.entries(expected)) {
      const name = `kept${apiVersion.replaceAll("-", "")}`;
      assert.equal((await arm("PUT", accountPath(name), { location: "westus2", properties: restricted })).status, 201);
      const put = await arm("PUT", accountPath(name, apiVersion), { location: "westus2" });
      assert.equal(put.status, 200, `${apiVersion}: ${JSON.stringify(put.json)}`);
      const account = (await arm("GET", accountPath(name))).json as Account;
      assert.deepEqual(
        {
          defaultAction: account.properties.keyDelivery?.accessControl.defaultAction,
          publicNetworkAccess: account.properties.publicNetworkAccess,
          minimumTlsVersion: account.properties.minimumTlsVersion,
        },
        want,
        apiVersion,
      );
    }
  });
});

describe("minimumTlsVersion against the deployment's TLS floor (TLS_MINIMUM_VERSION, Tls12 by default)", () => {
  it("accepts a version at or below the floor, and refuses one above it with MinimumTlsVersionNotSupported", async () => {
    for (const version of ["Tls10", "Tls12", "Unspecified"]) {
      const res = await arm("PUT", accountPath("tlsfloor"), {
        location: "westus2",
        properties: { minimumTlsVersion: version },
      });
      assert.ok([200, 201].includes(res.status), `${version}: ${JSON.stringify(res.json)}`);
      assert.equal((res.json as Account).properties.minimumTlsVersion, version);
    }
    for (const method of ["PUT", "PATCH"]) {
      const res = await arm(method, accountPath("tlsfloor"), {
        location: "westus2",
        properties: { minimumTlsVersion: "Tls13" },
      });
      assert.equal(res.status, 400, `${method}: ${JSON.stringify(res.json)}`);
      const error = (res.json as Account).error!;
      assert.equal(error.code, "MinimumTlsVersionNotSupported");
      assert.equal(error.target, "properties.minimumTlsVersion");
      assert.match(error.message, /TLS 1\.2/);
    }
    assert.equal(
      ((await arm("GET", accountPath("tlsfloor"))).json as Account).properties.minimumTlsVersion,
      "Unspecified",
    );
  });
});

describe("when the operator lowers TLS_MINIMUM_VERSION", () => {
  it("a new account made in the portal gets the floor, and an account that holds more is still accepted as it is", async () => {
    const config = getConfig() as { tlsMinimumVersion: string };
    const floor = config.tlsMinimumVersion;
    const kept = await arm("PUT", accountPath("tlskept"), {
      location: "westus2",
      properties: { minimumTlsVersion: "Tls12" },
    });
    assert.equal(kept.status, 201, JSON.stringify(kept.json));
    config.tlsMinimumVersion = "Tls10";
    try {
      const owner = principalOf(demoUsers.owner);
      const made = await createAccountFor(owner, {
        subscriptionId: sub,
        resourceGroup: demoResourceGroup,
        name: "tlsportal",
        location: "westus2",
        identityType: "None",
      });
      assert.equal(made.minimumTlsVersion, "Tls10", "the floor, not the database's default");
      const read = (await arm("GET", accountPath("tlskept"))).json as Account;
      const again = await arm("PUT", accountPath("tlskept"), { location: "westus2", properties: read.properties });
      assert.equal(again.status, 200, `a GET then PUT of what it holds: ${JSON.stringify(again.json)}`);
      const raised = await arm("PATCH", accountPath("tlsportal"), { properties: { minimumTlsVersion: "Tls12" } });
      assert.equal((raised.json as Account).error?.code, "MinimumTlsVersionNotSupported");
    } finally {
      config.tlsMinimumVersion = floor;
    }
  });
});

describe("an operation whose process died", () => {
  it("is taken over by a worker once its lease expires, and ends Succeeded", async () => {
    const { db } = await import("@/lib/db/client");
    const { startOperation } = await import("@/lib/accounts/operations");
    const { startOperationRunner } = await import("@/lib/accounts/operation-runner");
    const created = (
      await arm("PUT", accountPath("orphan"), { location: "westus2", identity: { type: "SystemAssigned" } })
    ).json as Account & { properties: { mediaServiceId: string } };
    await env.emu.grantKeys(demoVaults.compliant.name, created.identity!.principalId!);
    const keyIdentifier = `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`;
    // As a portal process leaves it when it dies after answering: InProgress, leased to it.
    const op = await db().$transaction((tx) =>
      startOperation(
        tx,
        {
          accountId: created.properties.mediaServiceId,
          subscriptionId: sub,
          location: "westus2",
          input: { kind: "customerKey", keyIdentifier, userAssignedIdentity: null, vault: { from: "keyIdentity" } },
          actor: demoUsers.owner.objectId,
        },
        "dead-process",
      ),
    );
    await env.emu.assignRole(
      `/subscriptions/${sub}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${demoVaults.compliant.name}`,
      "Reader",
      created.identity!.principalId!,
    );
    const worker = startOperationRunner({ loop: false, intervalMs: 1000 });
    assert.deepEqual(await worker.runOnce(), [], "the lease still holds");
    await db().accountOperation.update({ where: { id: op.id }, data: { leaseUntil: new Date(Date.now() - 1000) } });
    const [outcome] = await worker.runOnce();
    assert.equal(outcome?.status, "Succeeded", JSON.stringify(outcome));
    const account = (await arm("GET", accountPath("orphan"))).json as Account;
    assert.equal(account.properties.provisioningState, "Succeeded");
    assert.equal(account.properties.encryption.type, "CustomerKey");
  });
});

describe("every setting stored and returned, or refused", () => {
  it("stores tags (a tags-only PATCH too), storage accounts, key delivery, public network access and TLS", async () => {
    const created = await arm("PUT", accountPath("settings"), {
      location: "westus2",
      tags: { a: "1" },
      properties: {
        storageAccounts: [{ id: storageId, type: "Primary" }],
        storageAuthentication: "System",
        keyDelivery: { accessControl: { defaultAction: "Deny", ipAllowList: ["203.0.113.0/24", "127.0.0.1"] } },
        publicNetworkAccess: "Disabled",
        minimumTlsVersion: "Tls11",
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const tagged = await arm("PATCH", accountPath("settings"), { tags: { b: "2" } });
    assert.equal(tagged.status, 202, "every PATCH is long-running, as Azure's (the spec's example answers 202)");
    assert.deepEqual(
      (await poll(tagged)).map((s) => s.status),
      ["Succeeded"],
      "nothing waits for Key Vault: its operation has already Succeeded",
    );
    const account = (await arm("GET", accountPath("settings"))).json as Account;
    assert.deepEqual(account.tags, { b: "2" });
    assert.deepEqual(account.properties.storageAccounts, [{ id: storageId, type: "Primary", status: "Ok" }]);
    assert.deepEqual(account.properties.keyDelivery, {
      accessControl: { defaultAction: "Deny", ipAllowList: ["203.0.113.0/24", "127.0.0.1"] },
    });
    assert.equal(account.properties.publicNetworkAccess, "Disabled");
    assert.equal(account.properties.minimumTlsVersion, "Tls11");
    assert.equal(account.properties.provisioningState, "Succeeded");
  });

  for (const [why, properties, field] of [
    [
      "a storage account that does not exist",
      { storageAccounts: [{ id: storageId.replace(demoStorageAccount, "nosuchstore"), type: "Primary" }] },
      "properties.storageAccounts[0].id",
    ],
    [
      "two Primary storage accounts",
      {
        storageAccounts: [
          { id: storageId, type: "Primary" },
          { id: storageId.replace(demoStorageAccount, "other"), type: "Primary" },
        ],
      },
      "properties.storageAccounts",
    ],
    [
      "an allow list with defaultAction Allow",
      { keyDelivery: { accessControl: { defaultAction: "Allow", ipAllowList: ["10.0.0.1"] } } },
      "properties.keyDelivery.accessControl.ipAllowList",
    ],
    [
      "an allow list entry that is no address",
      { keyDelivery: { accessControl: { defaultAction: "Deny", ipAllowList: ["example.com"] } } },
      "body.properties.keyDelivery.accessControl.ipAllowList.0",
    ],
    ["a property the spec does not define", { privateLinks: true }, "body.properties"],
  ] as const)
    it(`refuses ${why} with 400 naming the field`, async () => {
      const res = await arm("PUT", accountPath("refused"), { location: "westus2", properties });
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.equal((res.json as Account).error?.target, field);
    });
});

describe("older api-versions", () => {
  it("2020-05-01 and 2021-05-01 accept and return only what they define", async () => {
    const identity = await userAssignedIdentity("id-old");
    const old = await arm("PUT", accountPath("oldshape", "2020-05-01"), {
      location: "westus2",
      identity: { type: "UserAssigned", userAssignedIdentities: { [identity]: {} } },
    });
    assert.equal(old.status, 400);
    assert.equal((old.json as Account).error?.target, "identity.type");
    const keyDelivery = await arm("PUT", accountPath("oldshape", "2020-05-01"), {
      location: "westus2",
      properties: { keyDelivery: { accessControl: { defaultAction: "Allow" } } },
    });
    assert.equal(keyDelivery.status, 400);
    const tls = await arm("PUT", accountPath("oldshape", "2021-11-01"), {
      location: "westus2",
      properties: { minimumTlsVersion: "Tls12" },
    });
    assert.equal((tls.json as Account).error?.target, "properties.minimumTlsVersion");

    await arm("PUT", accountPath("oldshape"), {
      location: "westus2",
      identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [identity]: {} } },
    });
    const at2020 = (await arm("GET", accountPath("oldshape", "2020-05-01"))).json as Account;
    assert.equal(at2020.identity?.type, "SystemAssigned");
    assert.equal(at2020.identity?.userAssignedIdentities, undefined);
    assert.equal(at2020.properties.keyDelivery, undefined);
    assert.equal(at2020.systemData, undefined);
    assert.equal(at2020.properties.provisioningState, undefined);
    const at2021 = (await arm("GET", accountPath("oldshape", "2021-05-01"))).json as Account;
    assert.ok(at2021.properties.keyDelivery);
    assert.equal(at2021.properties.publicNetworkAccess, undefined);

    const bySubscription = await arm(
      "GET",
      `/subscriptions/${sub}/providers/Microsoft.Media/mediaservices/oldshape?api-version=2021-05-01`,
    );
    assert.equal(bySubscription.status, 200);
    assert.equal((bySubscription.json as { name: string }).name, "oldshape");
    const notAtNewer = await arm(
      "GET",
      `/subscriptions/${sub}/providers/Microsoft.Media/mediaservices/oldshape?api-version=2023-01-01`,
    );
    assert.equal(notAtNewer.status, 400, "later versions do not define it");
  });
});

describe("the SDK's pollers", () => {
  it("end on a PUT and a PATCH with no Key Vault work (their operations have already Succeeded)", async () => {
    const { AzureMediaServices } = await import("@azure/arm-mediaservices");
    const { handleMediaApi } = await import("@/lib/arm/media-api");
    const server = await serveRoutes({ GET: handleMediaApi, PUT: handleMediaApi, PATCH: handleMediaApi });
    const token = await env.emu.userToken(demoUsers.owner, `api://${demoPortalApp.clientId}`);
    const credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const client = new AzureMediaServices(credential, sub, { endpoint: server.url, allowInsecureConnection: true });
    // Loopback is plain HTTP here, and the SDK sends a bearer token over HTTPS only: set it ourselves.
    client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
    client.pipeline.addPolicy({
      name: "demoUserToken",
      sendRequest: (request, next) => {
        request.headers.set("authorization", `Bearer ${token}`);
        return next(request);
      },
    });
    try {
      const poll = { updateIntervalInMs: 10 };
      const created = await client.mediaservices.beginCreateOrUpdateAndWait(
        demoResourceGroup,
        "sdkplain",
        { location: "westus2", tags: { a: "1" } },
        poll,
      );
      assert.equal(created.provisioningState, "Succeeded");
      const updated = await client.mediaservices.beginUpdateAndWait(
        demoResourceGroup,
        "sdkplain",
        { tags: { b: "2" } },
        poll,
      );
      assert.deepEqual(updated.tags, { b: "2" });
    } finally {
      await server.close();
    }
  });
});

describe("one request, one read", () => {
  it("a PUT and a PATCH read the caller's roles once and the account once before their write", async () => {
    const name = "readonce";
    assert.equal((await arm("PUT", accountPath(name), { location: "westus2" })).status, 201);
    for (const [method, body] of [
      ["PATCH", { tags: { pass: "patch" } }],
      ["PUT", { location: "westus2", tags: { pass: "put" } }],
    ] as const) {
      const { result: res, reads, readsBeforeWrite } = await readsOf(() => arm(method, accountPath(name), body));
      assert.ok(res.status < 300, JSON.stringify(res.json));
      assert.equal(reads("RoleAssignment"), 1, `${method}: the caller's roles, once`);
      assert.equal(readsBeforeWrite("MediaAccount"), 1, `${method}: the account before the write, once`);
    }
  });
});

describe("a change committed while a request ran", () => {
  it("is not overwritten: 412 with If-Match, 409 without; and a key found inaccessible meanwhile blocks the update", async () => {
    const name = "raced";
    assert.equal((await arm("PUT", accountPath(name), { location: "westus2" })).status, 201);
    const ref = { subscriptionId: sub, resourceGroup: demoResourceGroup, name };
    const owner = principalOf(demoUsers.owner);
    // What the request read before its ARM lookups; another change commits after it.
    const read = await getAccountFor(owner, ref);
    assert.equal((await arm("PATCH", accountPath(name), { tags: { by: "other" } })).status, 202);
    await assert.rejects(
      updateAccountFor(owner, ref, { settings: { tags: { by: "me" } }, ifMatch: etagOf(read) }, read),
      {
        code: "PreconditionFailed",
      },
    );
    await assert.rejects(updateAccountFor(owner, ref, { settings: { tags: { by: "me" } } }, read), {
      code: "Conflict",
    });
    assert.deepEqual((await getAccountFor(owner, ref)).tags, { by: "other" }, "the other change stands");

    const fresh = await getAccountFor(owner, ref);
    await db().mediaAccount.update({
      where: { id: fresh.id },
      data: { encryptionType: "CustomerKey", keyStatus: "Inaccessible", keyStatusReason: "KeyDisabled" },
    });
    await assert.rejects(
      updateAccountFor(owner, ref, { settings: { tags: { by: "me" } } }, { ...fresh, encryptionType: "CustomerKey" }),
      { code: "CustomerKeyInaccessible" },
    );
  });
});

describe("account actions", () => {
  it("syncStorageKeys takes one of the account's storage accounts, listEdgePolicies answers an empty policy", async () => {
    await arm("PUT", accountPath("actions"), {
      location: "westus2",
      properties: { storageAccounts: [{ id: storageId, type: "Primary" }] },
    });
    const path = (action: string) => accountPath("actions").replace("?", `/${action}?`);
    assert.equal((await arm("POST", path("syncStorageKeys"), { id: storageId })).status, 200);
    assert.equal((await arm("POST", path("syncStorageKeys"), { id: demoStorageAccount })).status, 200, "by name too");
    assert.equal(
      (await arm("POST", path("syncStorageKeys"), { id: storageId.replace(demoStorageAccount, "x") })).status,
      400,
    );
    const account = (await arm("GET", accountPath("actions"))).json as Account;
    assert.deepEqual(
      account.properties.keyDelivery,
      { accessControl: { defaultAction: "Allow", ipAllowList: [] } },
      "an empty allow list is shown, as Azure's examples show it",
    );
    const edge = await arm("POST", path("listEdgePolicies"), { deviceId: "edge-1" });
    assert.equal(edge.status, 200);
    assert.deepEqual(edge.json, {});
  });
});
