import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/components/auto-refresh";
import { KeyStateBadge } from "@/components/key-state-badge";
import { DataTable, Section } from "@/components/data-table";
import { jobsRunning, mediaOverview } from "@/lib/media/overview";
import { portalPresets } from "@/lib/media/schemas";
import { streamingPolicies, streamingPolicyNames } from "@/lib/media/streaming-policies";
import {
  CancelJobButton,
  CreateAssetForm,
  CreateContentKeyPolicyForm,
  CreateJobForm,
  CreateLocatorForm,
} from "./media-forms";
import { loadAccountPage, type AccountParams } from "../load-account";

export async function generateMetadata({ params }: { params: AccountParams }): Promise<Metadata> {
  return { title: `Media · ${(await params).name}` };
}

const size = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
const running = ["Scheduled", "Queued", "Processing"];
const stateBadge: Record<string, string> = {
  Finished: "ok",
  Error: "bad",
  Canceled: "bad",
  Processing: "warn",
  Scheduled: "warn",
  Queued: "warn",
  Canceling: "warn",
};

/**
 * A job's progress: the share downloaded when the input's length is known; while a running job has
 * reported none (its input's length is unknown, or it is starting), an indeterminate bar, not a 0 %.
 */
function JobProgress({ state, progress, name }: { state: string; progress: number; name: string }) {
  const label = `Progress of ${name}`;
  if (running.includes(state) && progress === 0)
    return (
      <>
        <progress aria-label={label} /> {state === "Processing" ? "working…" : "waiting"}
      </>
    );
  return (
    <>
      <progress max={100} value={progress} aria-label={label} /> {progress}%
    </>
  );
}

export default async function MediaPage({ params }: { params: AccountParams }) {
  const { account, ref, canWrite } = await loadAccountPage(params, "/media");
  const media = await mediaOverview(account);
  const accountPath = `/accounts/${account.subscriptionId}/${account.resourceGroup}/${account.name}`;
  return (
    <>
      <p>
        <Link href={accountPath}>← {account.name}</Link>
      </p>
      <h1>Media resources</h1>
      <p>
        Key state: <KeyStateBadge account={account} />
      </p>
      <p className="muted">
        Content keys, symmetric token keys and job input URLs are stored encrypted under the account key and never shown
        here. Use the REST API&apos;s <code>listContentKeys</code> and <code>getPolicyPropertiesWithSecrets</code> to
        read them.
      </p>
      {media.blocked !== null ? (
        <p className="notice bad" role="alert" data-testid="media-blocked">
          {media.blocked}
        </p>
      ) : (
        <>
          {jobsRunning(media) && <AutoRefresh seconds={2} />}
          <Section id="jobs" title="Transforms and jobs">
            {media.transforms.length === 0 && (
              <p className="muted" data-testid="jobs-empty">
                No jobs yet. A job copies a file from a URL into an output asset: create one below, with a new transform
                (the recipe jobs run) or an existing one.
              </p>
            )}
            {media.transforms.map((t) => (
              <div key={t.name} className="card" style={{ marginBottom: "1rem" }}>
                <h3 style={{ marginTop: 0 }}>
                  {t.name} <span className="muted">({t.presets.join(", ")})</span>
                </h3>
                {t.jobs.length === 0 ? (
                  <p className="muted">No jobs in this transform yet: pick it in the form below.</p>
                ) : (
                  <DataTable
                    testId={`jobs-${t.name}`}
                    label={`Jobs of ${t.name}`}
                    columns={["Job", "Input (query strings hidden)", "Output", "State", "Progress"]}
                  >
                    {t.jobs.map((j) => (
                      <tr key={j.name}>
                        <td>{j.name}</td>
                        <td>
                          {"assetName" in j.input ? (
                            <>
                              asset <code>{j.input.assetName}</code> {j.input.files.join(", ") || "(every file)"}
                            </>
                          ) : (
                            <>
                              <code>{j.input.baseUri ?? ""}</code> {j.input.files.join(", ")}
                            </>
                          )}
                        </td>
                        <td>{j.outputs.map((o) => o.assetName).join(", ")}</td>
                        <td>
                          <span className={`badge ${stateBadge[j.state] ?? ""}`}>{j.state}</span>
                          {j.error && <div className="field-error">{`${j.error.code}: ${j.error.message}`}</div>}
                        </td>
                        <td>
                          <JobProgress state={j.state} progress={j.progress} name={j.name} />
                          {running.includes(j.state) && (
                            <CancelJobButton
                              account={ref}
                              transformName={t.name}
                              jobName={j.name}
                              canWrite={canWrite}
                            />
                          )}
                        </td>
                      </tr>
                    ))}
                  </DataTable>
                )}
              </div>
            ))}
            <CreateJobForm
              account={ref}
              canWrite={canWrite}
              transforms={media.transforms.map((t) => t.name)}
              assets={media.assets.map((a) => a.name)}
              presets={portalPresets}
            />
          </Section>
          <Section id="assets" title="Assets">
            {media.assets.length === 0 ? (
              <p className="muted" data-testid="assets-empty">
                No assets yet. An asset holds media files: run a job above, whose output asset appears here with its
                files, or create one below.
              </p>
            ) : (
              <DataTable testId="assets-table" label="Assets" columns={["Asset", "Files"]}>
                {media.assets.map((a) => (
                  <tr key={a.name}>
                    <td>{a.name}</td>
                    <td>
                      {a.files.length === 0 ? (
                        <span className="muted">empty</span>
                      ) : (
                        a.files.map((f) => (
                          <div key={f.name}>
                            {f.name} · {size(f.size)} · SHA-256 <code>{f.sha256}</code>
                          </div>
                        ))
                      )}
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
            <CreateAssetForm account={ref} canWrite={canWrite} />
          </Section>
          <Section id="policies" title="Content key policies">
            {media.policies.length === 0 ? (
              <p className="muted" data-testid="policies-empty">
                No content key policies yet. A policy says who may receive the keys of encrypted streams: anyone (open),
                or players with a token you sign. Create one below.
              </p>
            ) : (
              <DataTable testId="policies-table" label="Content key policies" columns={["Policy", "Options"]}>
                {media.policies.map((p) => (
                  <tr key={p.name}>
                    <td>{p.name}</td>
                    <td>
                      {p.options.map((o, i) => (
                        <div key={i}>
                          {o.name && <strong>{o.name}: </strong>}
                          {o.restriction}
                          {o.keys.length > 0 && (
                            <span className="muted"> · verified with {o.keys.join(", ")} (value hidden)</span>
                          )}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
            <CreateContentKeyPolicyForm account={ref} canWrite={canWrite} />
          </Section>
          <Section id="locators" title="Streaming locators">
            {media.locators.length === 0 ? (
              <p className="muted" data-testid="locators-empty">
                No streaming locators yet. A locator publishes an asset for streaming, in the clear or encrypted with a
                key that a content key policy guards. Create one below.
              </p>
            ) : (
              <DataTable
                testId="locators-table"
                label="Streaming locators"
                columns={["Locator", "Asset", "Streaming policy", "Content keys and key delivery"]}
              >
                {media.locators.map((l) => (
                  <tr key={l.name}>
                    <td>
                      <Link href={`${accountPath}/media/player/${encodeURIComponent(l.name)}`}>{l.name}</Link>
                    </td>
                    <td>{l.assetName}</td>
                    <td>
                      {l.streamingPolicyName}
                      {l.defaultContentKeyPolicyName && (
                        <div className="muted">policy {l.defaultContentKeyPolicyName}</div>
                      )}
                    </td>
                    <td>
                      {l.contentKeys.length === 0 && <span className="muted">none (not encrypted)</span>}
                      {l.contentKeys.map((k) => (
                        <div key={k.id}>
                          {k.type} <code>{k.id}</code>
                          {k.deliveryUrl && (
                            <div>
                              <code>{k.deliveryUrl}</code>
                            </div>
                          )}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
            <CreateLocatorForm
              account={ref}
              assets={media.assets.map((a) => a.name)}
              policies={media.policies.map((p) => p.name)}
              streamingPolicies={streamingPolicyNames}
              encrypting={streamingPolicyNames.filter((n) => streamingPolicies[n].keys.length > 0)}
              canWrite={canWrite}
            />
          </Section>
        </>
      )}
    </>
  );
}
