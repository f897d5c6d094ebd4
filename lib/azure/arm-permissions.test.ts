import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { permits } from "./arm-permissions";

const assign = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
const role = (actions: string[], notActions: string[] = []) => ({ actions, notActions });

describe("permits: Azure's matching of actions", () => {
  it("grants by exact name, case-insensitively, and by `*`", () => {
    assert.equal(permits([role([assign.toLowerCase()])], assign), true);
    assert.equal(permits([role(["*"])], assign), true);
    assert.equal(permits([role(["Microsoft.ManagedIdentity/*"])], assign), true);
  });

  it("lets a `/*/` segment stand for no segment, as Managed Identity Operator's assign action needs", () => {
    assert.equal(permits([role(["Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"])], assign), true);
    assert.equal(
      permits(
        [role(["Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"])],
        "Microsoft.ManagedIdentity/userAssignedIdentities/write",
      ),
      false,
    );
  });

  it("does not grant assign to Reader's `*/read`, nor to anything without a match", () => {
    assert.equal(permits([role(["*/read"])], assign), false);
    assert.equal(permits([role(["*/read"])], "Microsoft.ManagedIdentity/userAssignedIdentities/read"), true);
    assert.equal(permits([], assign), false);
  });

  it("subtracts notActions within the role that grants, not across roles", () => {
    assert.equal(permits([role(["*"], ["Microsoft.ManagedIdentity/*/assign/action"])], assign), false);
    assert.equal(
      permits([role(["*"], ["Microsoft.Authorization/*/Write"])], "Microsoft.Authorization/roleAssignments/write"),
      false,
    );
    assert.equal(
      permits(
        [
          role(["*"], ["Microsoft.ManagedIdentity/*/assign/action"]),
          role(["Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"]),
        ],
        assign,
      ),
      true,
    );
  });

  it("treats regular-expression characters in a pattern literally", () => {
    assert.equal(
      permits(
        [role(["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"])],
        "MicrosoftXManagedIdentity/userAssignedIdentities/assign/action",
      ),
      false,
    );
  });
});
