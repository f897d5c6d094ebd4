-- AlterTable
ALTER TABLE "Asset" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT;

-- AlterTable
ALTER TABLE "ContentKeyPolicy" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT;

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT;

-- AlterTable
ALTER TABLE "StreamingEndpoint" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT,
ADD COLUMN     "tags" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "StreamingLocator" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT;

-- AlterTable
ALTER TABLE "Transform" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT;

-- Backfill: an account's default streaming endpoint was made in the request that created the
-- account, so its creator is the account's. Who made any other existing row was not kept (the
-- audit log names object ids, not the user names ARM shows), so it stays null: systemData then
-- gives the times only, never a guess.
UPDATE "StreamingEndpoint" e
SET "createdBy" = a."createdBy", "createdByType" = a."createdByType"
FROM "MediaAccount" a
WHERE e."accountId" = a."id"
  AND e."nameKey" = 'default'
  AND a."createdBy" IS NOT NULL
  AND e."createdAt" BETWEEN a."createdAt" AND a."createdAt" + interval '1 second';
