-- DropIndex
DROP INDEX "MediaAccount_subscriptionId_encryptionType_keyStatus_name_idx";

-- DropIndex
DROP INDEX "MediaAccount_subscriptionId_keyStatus_name_idx";

-- CreateTable
CREATE TABLE "AccountStateCount" (
    "subscriptionId" UUID NOT NULL,
    "encryptionType" "EncryptionType" NOT NULL,
    "keyStatus" "KeyStatus" NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "AccountStateCount_pkey" PRIMARY KEY ("subscriptionId","encryptionType","keyStatus")
);

-- CreateIndex
CREATE INDEX "MediaAccount_subscriptionId_keyStatus_nameKey_id_idx" ON "MediaAccount"("subscriptionId", "keyStatus" DESC, "nameKey", "id");

-- CreateIndex
CREATE INDEX "MediaAccount_subscriptionId_encryptionType_keyStatus_nameKe_idx" ON "MediaAccount"("subscriptionId", "encryptionType", "keyStatus" DESC, "nameKey", "id");

-- Counts per (subscription, encryption type, key status), kept in the transaction of every change.
-- Each trigger writes its deltas in one statement, in key order, so that two transactions moving
-- accounts in opposite directions (Active -> Inaccessible and back) lock the count rows in the same
-- order and do not deadlock.

-- Inserts and deletes: once per statement, over its transition table (a bulk insert of 2,000 rows
-- is one upsert per state, not 2,000).
CREATE FUNCTION "account_state_count_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "AccountStateCount" AS c ("subscriptionId", "encryptionType", "keyStatus", "count")
  SELECT "subscriptionId", "encryptionType", "keyStatus", CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END * count(*)::int
  FROM changed GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT ("subscriptionId", "encryptionType", "keyStatus") DO UPDATE SET "count" = c."count" + excluded."count";
  RETURN NULL;
END $$;

-- Updates: per row, and only when a counted column changes (the trigger's WHEN), so a monitor
-- check that leaves the state as it was never runs it.
CREATE FUNCTION "account_state_count_move"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "AccountStateCount" AS c ("subscriptionId", "encryptionType", "keyStatus", "count")
  SELECT * FROM (VALUES (OLD."subscriptionId", OLD."encryptionType", OLD."keyStatus", -1),
    (NEW."subscriptionId", NEW."encryptionType", NEW."keyStatus", 1)) AS d ORDER BY 1, 2, 3
  ON CONFLICT ("subscriptionId", "encryptionType", "keyStatus") DO UPDATE SET "count" = c."count" + excluded."count";
  RETURN NULL;
END $$;

CREATE FUNCTION "account_state_count_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "AccountStateCount";
  RETURN NULL;
END $$;

CREATE TRIGGER "MediaAccount_state_count_insert" AFTER INSERT ON "MediaAccount"
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "account_state_count_rows"();
CREATE TRIGGER "MediaAccount_state_count_delete" AFTER DELETE ON "MediaAccount"
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "account_state_count_rows"();
CREATE TRIGGER "MediaAccount_state_count_update" AFTER UPDATE OF "subscriptionId", "encryptionType", "keyStatus"
  ON "MediaAccount" FOR EACH ROW
  WHEN (OLD."subscriptionId" IS DISTINCT FROM NEW."subscriptionId"
    OR OLD."encryptionType" IS DISTINCT FROM NEW."encryptionType"
    OR OLD."keyStatus" IS DISTINCT FROM NEW."keyStatus")
  EXECUTE FUNCTION "account_state_count_move"();
CREATE TRIGGER "MediaAccount_state_count_truncate" AFTER TRUNCATE ON "MediaAccount"
  FOR EACH STATEMENT EXECUTE FUNCTION "account_state_count_truncate"();

-- Backfill: the accounts that exist now; the triggers count every change from here on.
INSERT INTO "AccountStateCount" ("subscriptionId", "encryptionType", "keyStatus", "count")
SELECT "subscriptionId", "encryptionType", "keyStatus", count(*)::int FROM "MediaAccount" GROUP BY 1, 2, 3;
