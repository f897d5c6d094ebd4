/** Which account a form acts on: what every account server action parses first (and authorizes). */
export type AccountRef = { subscriptionId: string; resourceGroup: string; name: string };

export function AccountRefFields({ account }: { account: AccountRef }) {
  return (
    <>
      <input type="hidden" name="subscriptionId" value={account.subscriptionId} />
      <input type="hidden" name="resourceGroup" value={account.resourceGroup} />
      <input type="hidden" name="name" value={account.name} />
    </>
  );
}
