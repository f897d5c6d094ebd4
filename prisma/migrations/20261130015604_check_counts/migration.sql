-- AlterTable
ALTER TABLE "MediaAccount" ADD COLUMN     "lastFailureAt" TIMESTAMP(3),
ADD COLUMN     "lastFailureReason" TEXT;

-- CreateTable
CREATE TABLE "CheckCount" (
    "subscriptionId" UUID NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "result" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "CheckCount_pkey" PRIMARY KEY ("subscriptionId","hour","result")
);

-- CreateIndex
CREATE INDEX "CheckCount_hour_idx" ON "CheckCount"("hour");

-- The last failure is bookkeeping of a check too: recording it changes nothing a cache holds, so it
-- neither bumps "AccountChange" nor notifies (an unreachable vault's every check writes it).
CREATE OR REPLACE FUNCTION byok_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
  account uuid;
  usable boolean;
  bookkeeping text[] := ARRAY['lastCheckAt', 'nextCheckAt', 'leaseOwner', 'leaseUntil', 'lastSuccessAt',
                              'unreachableSince', 'unreachableReason', 'lastFailureAt', 'lastFailureReason', 'updatedAt'];
BEGIN
  IF TG_OP = 'DELETE' THEN changed := to_jsonb(OLD); ELSE changed := to_jsonb(NEW); END IF;
  IF TG_TABLE_NAME = 'MediaAccount' THEN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - bookkeeping) = (to_jsonb(OLD) - bookkeeping) THEN
      RETURN NULL;
    END IF;
    account := (changed ->> 'id')::uuid;
    usable := TG_OP <> 'DELETE' AND NEW."keyStatus" = 'Active';
  ELSE
    account := (changed ->> 'accountId')::uuid;
  END IF;
  INSERT INTO "AccountChange" ("accountId", "changedAt", "usable") VALUES (account, clock_timestamp(), usable)
    ON CONFLICT ("accountId") DO UPDATE SET "seq" = EXCLUDED."seq", "changedAt" = EXCLUDED."changedAt",
      "usable" = COALESCE(EXCLUDED."usable", "AccountChange"."usable");
  PERFORM pg_notify('byok_account_changed', account::text || CASE WHEN usable = false THEN ' revoked' ELSE '' END);
  RETURN NULL;
END
$$;

-- Accounts whose last check failed before this column existed: their failure is the last check.
UPDATE "MediaAccount" SET "lastFailureAt" = "lastCheckAt", "lastFailureReason" = CASE WHEN "unreachableSince" IS NOT NULL THEN 'KeyVaultUnavailable' ELSE "keyStatusReason" END
WHERE "encryptionType" = 'CustomerKey' AND "lastCheckAt" IS NOT NULL AND ("lastSuccessAt" IS NULL OR "lastCheckAt" > "lastSuccessAt");
