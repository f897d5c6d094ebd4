-- CreateTable
CREATE TABLE "AccountChange" (
    "accountId" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usable" BOOLEAN,

    CONSTRAINT "AccountChange_pkey" PRIMARY KEY ("accountId")
);

-- CreateIndex
CREATE INDEX "AccountChange_changedAt_idx" ON "AccountChange"("changedAt");

-- Every change that must drop what a process caches of an account (its state and settings, its
-- wrapped account key, its locators, policies and sealed secrets) bumps the account's row here and
-- notifies channel byok_account_changed with the account id, in the transaction of the change: the
-- notification goes out on commit, and the row is what processes poll when a notification cannot
-- reach them. A change that leaves the account unusable (inaccessible, or deleted) also says so
-- ("usable" false, the payload "<id> revoked"): processes then drop its unwrapped account key too. The monitor's bookkeeping of a routine check (schedule, lease, last success,
-- unreachable marks) changes nothing a cache holds, and does not count.
CREATE FUNCTION byok_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
  account uuid;
  usable boolean;
  bookkeeping text[] := ARRAY['lastCheckAt', 'nextCheckAt', 'leaseOwner', 'leaseUntil', 'lastSuccessAt',
                              'unreachableSince', 'unreachableReason', 'updatedAt'];
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

CREATE TRIGGER byok_account_changed AFTER INSERT OR UPDATE OR DELETE ON "MediaAccount"
  FOR EACH ROW EXECUTE FUNCTION byok_account_changed();
CREATE TRIGGER byok_account_changed AFTER INSERT OR UPDATE OR DELETE ON "AccountKey"
  FOR EACH ROW EXECUTE FUNCTION byok_account_changed();
CREATE TRIGGER byok_account_changed AFTER INSERT OR UPDATE OR DELETE ON "AccountSecret"
  FOR EACH ROW EXECUTE FUNCTION byok_account_changed();
CREATE TRIGGER byok_account_changed AFTER INSERT OR UPDATE OR DELETE ON "StreamingLocator"
  FOR EACH ROW EXECUTE FUNCTION byok_account_changed();
CREATE TRIGGER byok_account_changed AFTER INSERT OR UPDATE OR DELETE ON "ContentKeyPolicy"
  FOR EACH ROW EXECUTE FUNCTION byok_account_changed();
