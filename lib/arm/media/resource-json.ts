import "server-only";
import { accountResourceId } from "@/lib/accounts/service";
import type { AccountRef } from "@/lib/accounts/store";
import { systemDataJson, type SystemDataRow } from "@/lib/accounts/system-data";

/** The ARM envelope of a media resource: id, name, type, properties, systemData. */
export function resourceJson(
  ref: AccountRef,
  typePath: string,
  name: string,
  properties: Record<string, unknown>,
  row: SystemDataRow,
) {
  const type = `Microsoft.Media/mediaservices/${typePath.replace(/\/[^/]+\//g, "/")}`;
  return {
    id: `${accountResourceId(ref)}/${typePath}/${name}`,
    name,
    type,
    properties,
    systemData: systemDataJson(row),
  };
}
