/** Who is calling: a signed-in user (portal) or a bearer token's user or app (REST API). */
export interface Principal {
  objectId: string;
  tenantId: string;
  kind: "user" | "app";
  name: string;
}
