/**
 * Attacks on key delivery through the running app (route handler, Next's production server):
 * a request without a well-formed token learns nothing, not even whether the account exists, and
 * a token that no key of the policy signed learns nothing either. The library-level suite is
 * lib/security/key-delivery.test.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { APIRequestContext } from "@playwright/test";
import { demoResourceGroup } from "../../lib/demo/directory";
import { automationClients, symmetricTokenPolicy } from "../arm";
import { expect, test } from "../fixtures";

/** An answer as a caller can compare it: status, challenge, CORS and body. */
async function keyRequest(request: APIRequestContext, account: string, kid: string, authorization?: string) {
  const res = await request.get(`/keydelivery/${account}?kid=${kid}`, {
    headers: authorization ? { authorization } : {},
  });
  return {
    status: res.status(),
    challenge: res.headers()["www-authenticate"],
    cors: res.headers()["access-control-allow-origin"],
    body: await res.json(),
  };
}

const contosoMediaServiceId = async () =>
  (await automationClients().media.mediaservices.get(demoResourceGroup, "contosomedia")).mediaServiceId!;

test("a request without a token, or with one that is not a JWT, gets 401 and a Bearer challenge, the same whether the account exists or not", async ({
  request,
}) => {
  const existing = await contosoMediaServiceId();
  const kid = randomUUID();
  // RFC 6750 §3.1: no error code when no token was sent, `invalid_token` for a token that was.
  for (const [why, authorization, challenge] of [
    ["no token", undefined, "Bearer"],
    ["not a JWT", "Bearer not-a-jwt", 'Bearer error="invalid_token"'],
    ["three segments that are not JSON", "Bearer aaaa.bbbb.cccc", 'Bearer error="invalid_token"'],
  ] as const) {
    const answers = [];
    for (const account of [existing, randomUUID()])
      answers.push(await keyRequest(request, account, kid, authorization));
    expect(answers[0], why).toMatchObject({
      status: 401,
      challenge,
      cors: "*",
      body: { error: { code: "InvalidToken" } },
    });
    expect(answers[1], `${why}: an account that does not exist`).toEqual(answers[0]);
  }
});

test("a well-formed token that no key signed gets one answer for an existing key, an unknown key, an unknown account and an ended locator's key", async ({
  request,
  uniqueName,
}) => {
  const media = automationClients().media;
  const name = uniqueName("unsigned");
  const issuer = "https://sts.contoso.localhost";
  const audience = "urn:contoso";
  await media.assets.createOrUpdate(demoResourceGroup, "contosomedia", name, {});
  await media.contentKeyPolicies.createOrUpdate(
    demoResourceGroup,
    "contosomedia",
    name,
    symmetricTokenPolicy({ issuer, audience, keyValue: randomBytes(32) }),
  );
  const kids: string[] = [];
  for (const [locator, endTime] of [
    [`${name}live`, undefined],
    [`${name}ended`, new Date(Date.now() - 60_000)],
  ] as const) {
    await media.streamingLocators.create(demoResourceGroup, "contosomedia", locator, {
      assetName: name,
      streamingPolicyName: "Predefined_ClearKey",
      defaultContentKeyPolicyName: name,
      endTime,
    });
    kids.push(
      (await media.streamingLocators.listContentKeys(demoResourceGroup, "contosomedia", locator)).contentKeys![0]!.id,
    );
  }
  const existing = await contosoMediaServiceId();
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = part({ iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 });
  for (const [why, jwt] of [
    ["HS256 with a garbage signature", `${part({ alg: "HS256" })}.${claims}.${randomBytes(32).toString("base64url")}`],
    ["alg none", `${part({ alg: "none" })}.${claims}.`],
  ]) {
    const targets: [string, string][] = [
      [existing, kids[0]!],
      [existing, randomUUID()],
      [randomUUID(), kids[0]!],
      [existing, kids[1]!],
    ];
    const answers: Awaited<ReturnType<typeof keyRequest>>[] = [];
    for (const [account, kid] of targets) answers.push(await keyRequest(request, account, kid, `Bearer ${jwt}`));
    expect(answers[0], why).toMatchObject({
      status: 401,
      challenge: 'Bearer error="invalid_token"',
      cors: "*",
      body: { error: { code: "InvalidToken" } },
    });
    expect(answers, `${why}: an unknown key, an unknown account, an ended locator`).toEqual(
      answers.map(() => answers[0]),
    );
  }
});
