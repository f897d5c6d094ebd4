-- The id of a locator becomes internal (the owner of its content keys), and the client-visible
-- streamingLocatorId moves to a column of its own, unique per account. Existing locators keep
-- their id as both, so their sealed content keys (bound to the owner id) still open.
-- AlterTable
ALTER TABLE "StreamingLocator" ADD COLUMN     "streamingLocatorId" UUID;
UPDATE "StreamingLocator" SET "streamingLocatorId" = id;
ALTER TABLE "StreamingLocator" ALTER COLUMN "streamingLocatorId" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "StreamingLocator_accountId_streamingLocatorId_key" ON "StreamingLocator"("accountId", "streamingLocatorId");
