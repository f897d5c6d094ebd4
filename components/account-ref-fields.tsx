/** Which account a form acts on: what every account server action parses first (and authorizes). */
export type AccountRef = { subscriptionId: string; resourceGroup: string; name: string };

export function AccountRefFields({ account }: { account: AccountRef }) {
  return (
    <>
      {/* Uncontrolled: a re-render (a form's own state, the page's auto-refresh) leaves the DOM as it is. */}
      <input type="hidden" name="subscriptionId" defaultValue={account.subscriptionId} />
      <input type="hidden" name="resourceGroup" defaultValue={account.resourceGroup} />
      <input type="hidden" name="name" defaultValue={account.name} />
    </>
  );
}
