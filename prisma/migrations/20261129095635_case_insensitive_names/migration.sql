-- ARM names compare case-insensitively and exactly: each row keeps its display name and gains its
-- lower-cased key, and the unique indexes move to the keys. Existing rows get lower(name), which
-- equals the application key for the ASCII names the API accepts. If two existing rows differ
-- only in case, creating the new unique index fails and names them: rename one, then migrate.
-- DropIndex
DROP INDEX "Asset_accountId_name_key";

-- DropIndex
DROP INDEX "ContentKeyPolicy_accountId_name_key";

-- DropIndex
DROP INDEX "Job_transformId_name_key";

-- DropIndex
DROP INDEX "MediaAccount_subscriptionId_resourceGroup_name_key";

-- DropIndex
DROP INDEX "StreamingLocator_accountId_name_key";

-- DropIndex
DROP INDEX "Transform_accountId_name_key";

-- AlterTable
ALTER TABLE "Asset" ADD COLUMN     "nameKey" TEXT;
UPDATE "Asset" SET "nameKey" = lower(name);
ALTER TABLE "Asset" ALTER COLUMN "nameKey" SET NOT NULL;

-- AlterTable
ALTER TABLE "ContentKeyPolicy" ADD COLUMN     "nameKey" TEXT;
UPDATE "ContentKeyPolicy" SET "nameKey" = lower(name);
ALTER TABLE "ContentKeyPolicy" ALTER COLUMN "nameKey" SET NOT NULL;

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "nameKey" TEXT;
UPDATE "Job" SET "nameKey" = lower(name);
ALTER TABLE "Job" ALTER COLUMN "nameKey" SET NOT NULL;

-- AlterTable
ALTER TABLE "MediaAccount" ADD COLUMN     "nameKey" TEXT,
ADD COLUMN     "resourceGroupKey" TEXT;
UPDATE "MediaAccount" SET "nameKey" = lower(name), "resourceGroupKey" = lower("resourceGroup");
ALTER TABLE "MediaAccount" ALTER COLUMN "nameKey" SET NOT NULL,
ALTER COLUMN "resourceGroupKey" SET NOT NULL;

-- AlterTable
ALTER TABLE "StreamingLocator" ADD COLUMN     "nameKey" TEXT;
UPDATE "StreamingLocator" SET "nameKey" = lower(name);
ALTER TABLE "StreamingLocator" ALTER COLUMN "nameKey" SET NOT NULL;

-- AlterTable
ALTER TABLE "Transform" ADD COLUMN     "nameKey" TEXT;
UPDATE "Transform" SET "nameKey" = lower(name);
ALTER TABLE "Transform" ALTER COLUMN "nameKey" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Asset_accountId_nameKey_key" ON "Asset"("accountId", "nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "ContentKeyPolicy_accountId_nameKey_key" ON "ContentKeyPolicy"("accountId", "nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "Job_transformId_nameKey_key" ON "Job"("transformId", "nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "MediaAccount_subscriptionId_resourceGroupKey_nameKey_key" ON "MediaAccount"("subscriptionId", "resourceGroupKey", "nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "StreamingLocator_accountId_nameKey_key" ON "StreamingLocator"("accountId", "nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "Transform_accountId_nameKey_key" ON "Transform"("accountId", "nameKey");
