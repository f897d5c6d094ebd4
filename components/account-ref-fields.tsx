/** Which account a form acts on: what every account server action parses first (and authorizes). */
export type AccountRef = { subscriptionId: string; resourceGroup: string; name: string };

export function AccountRefFields({ account }: { account: AccountRef }) {
  return (
    <>
      {/* Uncontrolled (defaultValue): nothing edits these fields, so React need not manage their value. */}
      <input type="hidden" name="subscriptionId" defaultValue={account.subscriptionId} />
      <input type="hidden" name="resourceGroup" defaultValue={account.resourceGroup} />
      <input type="hidden" name="name" defaultValue={account.name} />
    </>
  );
}
