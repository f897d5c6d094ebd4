import "server-only";
import { JobInputError, type Downloaded } from "./job-input";
import type { StoredJobInput } from "./jobs";
import { assetFiles, readAssetFile } from "./store";

/**
 * JobInputAsset: a job reads its input from one of its account's assets, where the service keeps
 * asset content (the database's asset files), rather than downloading it: the files named, or
 * every file of the asset. What is missing, or more than a job may take in, ends the job with
 * Azure's DownloadNotAccessible (its code for an input that cannot be read).
 */
export async function readInputAsset(
  accountId: string,
  input: Extract<StoredJobInput, { assetName: string }>,
  maxBytes: number,
  onFile: (index: number, count: number) => void,
): Promise<(Downloaded & { name: string })[]> {
  const { assetName } = input;
  const notReadable = (why: string) =>
    new JobInputError("DownloadNotAccessible", `The input asset '${assetName}' ${why}.`, "DoNotRetry");
  const listed = await assetFiles({ accountId, assetName });
  const chosen = input.files.map((name) => {
    const file = listed.find((f) => f.name === name);
    if (!file) throw notReadable(`has no file '${name}'`);
    return file;
  });
  if (!input.files.length) chosen.push(...listed);
  if (!chosen.length) throw notReadable("has no files, or no longer exists (a job writes an asset's files)");
  // Sizes first, so that an input over the limit is refused before any content is read.
  const total = chosen.reduce((n, f) => n + Number(f.size), 0);
  if (total > maxBytes) throw notReadable(`is ${total} bytes, more than the ${maxBytes}-byte limit of a job input`);
  const files: (Downloaded & { name: string })[] = [];
  for (const [i, { name }] of chosen.entries()) {
    const file = await readAssetFile({ accountId, assetName, fileName: name });
    if (!file) throw notReadable(`lost its file '${name}' while the job read it`);
    files.push({ name, content: Buffer.from(file.content), size: Number(file.size), sha256: file.sha256 });
    onFile(i, chosen.length);
  }
  return files;
}
