-- CreateEnum
CREATE TYPE "StreamingEndpointState" AS ENUM ('Stopped', 'Starting', 'Running', 'Stopping');

-- CreateTable
CREATE TABLE "StreamingEndpoint" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "description" TEXT,
    "scaleUnits" INTEGER NOT NULL DEFAULT 0,
    "cdnEnabled" BOOLEAN NOT NULL DEFAULT false,
    "resourceState" "StreamingEndpointState" NOT NULL DEFAULT 'Stopped',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StreamingEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StreamingEndpoint_accountId_nameKey_key" ON "StreamingEndpoint"("accountId", "nameKey");

-- AddForeignKey
ALTER TABLE "StreamingEndpoint" ADD CONSTRAINT "StreamingEndpoint_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every account has its "default" streaming endpoint, as Azure creates one with the account (stopped).
INSERT INTO "StreamingEndpoint" ("id", "accountId", "name", "nameKey", "location", "updatedAt")
SELECT gen_random_uuid(), "id", 'default', 'default', "location", CURRENT_TIMESTAMP FROM "MediaAccount";
