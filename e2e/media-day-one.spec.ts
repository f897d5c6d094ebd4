/**
 * Issue 13, "the media page on day one": a new account's media page says what to do next and
 * creates everything through its forms (asset, content key policy with a key shown once, job
 * from a URL with a new transform, streaming locator); the demo seed has an example; job
 * progress moves during a download; an open policy's key needs no token.
 */
import { SignJWT } from "jose";
import { demoUsers } from "../lib/demo/directory";
import { demoMedia } from "../lib/demo/media";
import { expect, test } from "./fixtures";
import { startInputServer } from "./input-server";
import { MediaPage } from "./pages/media-page";

const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";

test("the seeded account shows a finished job, its asset, a policy and a locator", async ({ page }) => {
  const media = new MediaPage(page, demoMedia.account);
  await media.signIn(demoUsers.owner.upn);
  await expect(media.jobRow(demoMedia.transform.name, demoMedia.job.name)).toContainText("Finished");
  await expect(media.jobProgress(demoMedia.transform.name, demoMedia.job.name)).toHaveAttribute("value", "100");
  await expect(media.assets.getByRole("row", { name: new RegExp(demoMedia.asset.name) })).toContainText(
    demoMedia.file.sha256,
  );
  await expect(media.policies.getByRole("row", { name: new RegExp(demoMedia.policy.name) })).toContainText(
    "Open (no token)",
  );
  await expect(media.locatorRow(demoMedia.locator.name)).toContainText(demoMedia.locator.policy);
});

test("a new account's media page says what to do next, and its locator form waits for an asset", async ({
  page,
  accounts,
}) => {
  test.setTimeout(90_000);
  const { name } = await accounts.create("mempty");
  const media = new MediaPage(page, name);
  await media.signIn(demoUsers.owner.upn);
  for (const section of ["jobs", "assets", "policies", "locators"] as const)
    await expect(media.empty(section), section).toContainText(/create one below/i);
  // No blank asset drop-down: the form says an asset comes first.
  await expect(media.createLocatorForm).toHaveCount(0);
  await expect(page.getByTestId("locator-needs-asset")).toContainText("create an asset");
  await expect(media.form("job").getByLabel(/^Transform/)).toHaveValue("");

  // Right after the first asset, with no content key policy: the form starts on a valid choice and says it in words.
  await media.createAsset("first");
  await expect(media.assets.getByRole("row", { name: /first/ })).toContainText("empty");
  const locatorForm = media.createLocatorForm;
  await expect(locatorForm.getByLabel("Asset")).toHaveValue("first");
  await expect(locatorForm.getByLabel("Streaming policy")).toHaveValue("Predefined_ClearStreamingOnly");
  await expect(locatorForm.getByLabel(/Content key policy/)).toHaveValue("");
  await expect(page.getByTestId("locator-hint")).toHaveText(
    "Predefined_ClearStreamingOnly streams without encryption: anyone with the locator's URL can play the asset, and no content key policy is needed.",
  );
  // Valid as it stands: only a name is needed.
  await locatorForm.getByLabel("Locator name").fill("firststream");
  await locatorForm.getByRole("button", { name: "Create streaming locator" }).click();
  await expect(media.locatorRow("firststream")).toContainText("Predefined_ClearStreamingOnly");
  await expect(locatorForm.locator(".field-error")).toHaveCount(0);
});

test("the forms create an asset, a token policy whose key is shown once and works, and a locator that defaults to a valid choice", async ({
  page,
  accounts,
  request,
}) => {
  test.setTimeout(90_000);
  const { name } = await accounts.create("mforms");
  const media = new MediaPage(page, name);
  await media.signIn(demoUsers.owner.upn);

  await media.createAsset("clip");
  await expect(media.assets.getByRole("row", { name: /clip/ })).toContainText("empty");

  const issuer = "https://sts.contoso.example";
  const audience = "urn:contoso:player";
  const form = await media.createPolicy("signed", { issuer, audience });
  const shown = form.getByTestId("one-time-secret");
  await expect(shown).toContainText("it is not shown again");
  const key = await shown.getByRole("textbox").inputValue();
  expect(Buffer.from(key, "base64")).toHaveLength(32);
  await expect(media.policies.getByRole("row", { name: /signed/ })).toContainText(`JWT from ${issuer}`);
  await shown.getByRole("button", { name: /hide it/ }).click();
  await expect(shown).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain(key);
  await page.reload();
  expect(await page.content(), "not shown again").not.toContain(key);

  // With a policy, the locator form starts on an encrypted locator guarded by it: valid as it stands.
  const locatorForm = media.createLocatorForm;
  await expect(locatorForm.getByLabel("Asset")).toHaveValue("clip");
  await expect(locatorForm.getByLabel("Streaming policy")).toHaveValue("Predefined_ClearKey");
  await expect(locatorForm.getByLabel(/Content key policy/)).toHaveValue("signed");

  // Without a policy, the form says so in words, before and after submitting, and keeps the name.
  await locatorForm.getByLabel("Locator name").fill("nokeypolicy");
  await locatorForm.getByLabel(/Content key policy/).selectOption("");
  await expect(page.getByTestId("locator-hint")).toContainText("Predefined_ClearKey encrypts the stream");
  await locatorForm.getByRole("button", { name: "Create streaming locator" }).click();
  const error = locatorForm.locator(".field-error");
  await expect(error).toContainText("choose the content key policy that says who may receive it");
  await expect(locatorForm).not.toContainText("defaultContentKeyPolicyName");
  await expect(locatorForm.getByLabel("Locator name")).toHaveValue("nokeypolicy");

  await media.createLocator({
    name: "signedstream",
    streamingPolicy: "Predefined_ClearKey",
    contentKeyPolicy: "signed",
  });
  const row = media.locatorRow("signedstream");
  await expect(row).toContainText("EnvelopeEncryption");
  const deliveryUrl = (await row.locator("code", { hasText: "/keydelivery/" }).textContent())!;
  const kid = new URL(deliveryUrl).searchParams.get("kid")!;
  // The key the page showed once is the one that signs players' tokens.
  const token = await new SignJWT({ [KID_CLAIM]: kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime("5m")
    .sign(Buffer.from(key, "base64"));
  const delivered = await request.get(deliveryUrl, { headers: { authorization: `Bearer ${token}` } });
  expect(delivered.status()).toBe(200);
  expect(await delivered.body()).toHaveLength(16);
  expect((await request.get(deliveryUrl)).status(), "a token policy's key needs a token").toBe(401);

  // An open policy: its key goes to a player without a token, as in Azure.
  await media.createPolicy("anyone", "open");
  await expect(media.policies.getByRole("row", { name: /anyone/ })).toContainText("Open (no token)");
  await media.createLocator({ name: "openstream", streamingPolicy: "Predefined_ClearKey", contentKeyPolicy: "anyone" });
  const openUrl = (await media.locatorRow("openstream").locator("code", { hasText: "/keydelivery/" }).textContent())!;
  const open = await request.get(openUrl);
  expect(open.status()).toBe(200);
  expect(await open.body()).toHaveLength(16);
});

test("a job from a URL, with a new transform: progress moves during the download, or an honest indeterminate bar without a length", async ({
  page,
  accounts,
}) => {
  test.setTimeout(120_000);
  const server = await startInputServer({ sas: "unused", body: Buffer.alloc(0) });
  try {
    const { name } = await accounts.create("mjobs");
    const media = new MediaPage(page, name);
    await media.signIn(demoUsers.owner.upn);

    await media.createJob({
      name: "lengthknown",
      url: `${server.origin}/media/slow.mp4`,
      transform: "copy",
      newTransformPreset: "CopyAllBitrateNonInterleaved",
    });
    const progress = media.jobProgress("copy", "lengthknown");
    const seen = new Set<number>();
    await expect
      .poll(
        async () => {
          const value = Number((await progress.getAttribute("value").catch(() => null)) ?? NaN);
          if (value > 0 && value < 100) seen.add(value);
          return seen.size;
        },
        {
          timeout: 30_000,
          intervals: [300],
          message: "the bar moves through at least two values between 0 % and 100 %, not 0 % then 100 %",
        },
      )
      // 12 s of download (20 chunks, 600 ms apart), the page refreshed every 2 s: room for several values.
      .toBeGreaterThanOrEqual(2);
    await expect(media.jobRow("copy", "lengthknown")).toContainText("Finished", { timeout: 30_000 });
    await expect(media.assets.getByRole("row", { name: /lengthknown-output/ })).toContainText("320.0 KiB");

    await media.createJob({ name: "chunked", url: `${server.origin}/media/slow-unknown.mp4`, transform: "copy" });
    const row = media.jobRow("copy", "chunked");
    await expect(row).toContainText("Processing", { timeout: 30_000 });
    // No content-length: no made-up share, an indeterminate bar.
    await expect(row).toContainText("working…");
    expect(await media.jobProgress("copy", "chunked").getAttribute("value")).toBeNull();
    await expect(row).toContainText("Finished", { timeout: 30_000 });
  } finally {
    await server.close();
  }
});
