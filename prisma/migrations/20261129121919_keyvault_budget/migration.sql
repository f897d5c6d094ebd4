-- CreateTable
CREATE TABLE "KeyVaultBudgetGrant" (
    "id" BIGSERIAL NOT NULL,
    "vault" TEXT NOT NULL,
    "grantedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "count" INTEGER NOT NULL,

    CONSTRAINT "KeyVaultBudgetGrant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KeyVaultBackoff" (
    "vault" TEXT NOT NULL,
    "blockedUntil" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "KeyVaultBackoff_pkey" PRIMARY KEY ("vault")
);

-- CreateIndex
CREATE INDEX "KeyVaultBudgetGrant_vault_grantedAt_idx" ON "KeyVaultBudgetGrant"("vault", "grantedAt");
