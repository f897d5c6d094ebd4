/**
 * Attacks on key delivery through the running app (route handler, Next's production server):
 * a request without a well-formed token learns nothing, not even whether the account exists.
 * The library-level suite is lib/security/key-delivery.test.ts.
 */
import { randomUUID } from "node:crypto";
import { demoResourceGroup } from "../../lib/demo/directory";
import { automationClients } from "../arm";
import { expect, test } from "../fixtures";

test("a request without a token, or with one that is not a JWT, gets 401 and a Bearer challenge, the same whether the account exists or not", async ({
  request,
}) => {
  const existing = (await automationClients().media.mediaservices.get(demoResourceGroup, "contosomedia"))
    .mediaServiceId!;
  const kid = randomUUID();
  for (const [why, authorization] of [
    ["no token", undefined],
    ["not a JWT", "Bearer not-a-jwt"],
    ["three segments that are not JSON", "Bearer aaaa.bbbb.cccc"],
  ] as const) {
    const answers = [];
    for (const account of [existing, randomUUID()]) {
      const res = await request.get(`/keydelivery/${account}?kid=${kid}`, {
        headers: authorization ? { authorization } : {},
      });
      answers.push({
        status: res.status(),
        challenge: res.headers()["www-authenticate"],
        cors: res.headers()["access-control-allow-origin"],
        body: await res.json(),
      });
    }
    expect(answers[0], why).toMatchObject({
      status: 401,
      challenge: expect.stringMatching(/^Bearer\b/),
      cors: "*",
      body: { error: { code: "InvalidToken" } },
    });
    expect(answers[1], `${why}: an account that does not exist`).toEqual(answers[0]);
  }
});
