-- AccountSecret gains NOT NULL columns without defaults: no release wrote AccountSecret rows before this one.
-- CreateEnum
CREATE TYPE "JobState" AS ENUM ('Scheduled', 'Queued', 'Processing', 'Finished', 'Error', 'Canceling', 'Canceled');

-- DropIndex
DROP INDEX "AccountSecret_accountId_kind_idx";

-- AlterTable
ALTER TABLE "AccountSecret" ADD COLUMN     "name" TEXT NOT NULL,
ADD COLUMN     "ownerId" UUID NOT NULL;

-- CreateTable
CREATE TABLE "Asset" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "alternateId" TEXT,
    "description" TEXT,
    "container" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Asset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AssetFile" (
    "assetId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AssetFile_pkey" PRIMARY KEY ("assetId","name")
);

-- CreateTable
CREATE TABLE "ContentKeyPolicy" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "options" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ContentKeyPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StreamingLocator" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "assetName" TEXT NOT NULL,
    "streamingPolicyName" TEXT NOT NULL,
    "defaultContentKeyPolicyName" TEXT,
    "startTime" TIMESTAMP(3),
    "endTime" TIMESTAMP(3),
    "alternativeMediaId" TEXT,
    "filters" TEXT[],
    "contentKeys" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StreamingLocator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Transform" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "outputs" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Transform_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "transformId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "input" JSONB NOT NULL,
    "outputs" JSONB NOT NULL,
    "priority" TEXT NOT NULL DEFAULT 'Normal',
    "correlationData" JSONB NOT NULL DEFAULT '{}',
    "state" "JobState" NOT NULL DEFAULT 'Scheduled',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "error" JSONB,
    "startTime" TIMESTAMP(3),
    "endTime" TIMESTAMP(3),
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Asset_accountId_name_key" ON "Asset"("accountId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "ContentKeyPolicy_accountId_name_key" ON "ContentKeyPolicy"("accountId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "StreamingLocator_accountId_name_key" ON "StreamingLocator"("accountId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Transform_accountId_name_key" ON "Transform"("accountId", "name");

-- CreateIndex
CREATE INDEX "Job_state_createdAt_idx" ON "Job"("state", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Job_transformId_name_key" ON "Job"("transformId", "name");

-- CreateIndex
CREATE INDEX "AccountSecret_ownerId_idx" ON "AccountSecret"("ownerId");

-- CreateIndex
CREATE UNIQUE INDEX "AccountSecret_accountId_kind_name_key" ON "AccountSecret"("accountId", "kind", "name");

-- AddForeignKey
ALTER TABLE "Asset" ADD CONSTRAINT "Asset_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AssetFile" ADD CONSTRAINT "AssetFile_assetId_fkey" FOREIGN KEY ("assetId") REFERENCES "Asset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ContentKeyPolicy" ADD CONSTRAINT "ContentKeyPolicy_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StreamingLocator" ADD CONSTRAINT "StreamingLocator_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Transform" ADD CONSTRAINT "Transform_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_transformId_fkey" FOREIGN KEY ("transformId") REFERENCES "Transform"("id") ON DELETE CASCADE ON UPDATE CASCADE;
