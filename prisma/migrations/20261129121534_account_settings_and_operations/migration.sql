-- AlterTable
ALTER TABLE "MediaAccount" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "createdByType" TEXT,
ADD COLUMN     "keyDeliveryDefaultAction" TEXT NOT NULL DEFAULT 'Allow',
ADD COLUMN     "keyDeliveryIpAllowList" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "lastModifiedBy" TEXT,
ADD COLUMN     "lastModifiedByType" TEXT,
ADD COLUMN     "minimumTlsVersion" TEXT NOT NULL DEFAULT 'Tls12',
ADD COLUMN     "provisioningState" TEXT NOT NULL DEFAULT 'Succeeded',
ADD COLUMN     "publicNetworkAccess" TEXT NOT NULL DEFAULT 'Enabled',
ADD COLUMN     "storageAccounts" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "storageAuthentication" TEXT,
ADD COLUMN     "tags" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "AccountOperation" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "subscriptionId" UUID NOT NULL,
    "location" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "actor" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'InProgress',
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "startTime" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endTime" TIMESTAMP(3),

    CONSTRAINT "AccountOperation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AccountOperation_status_leaseUntil_idx" ON "AccountOperation"("status", "leaseUntil");

-- CreateIndex
CREATE INDEX "AccountOperation_accountId_idx" ON "AccountOperation"("accountId");

-- AddForeignKey
ALTER TABLE "AccountOperation" ADD CONSTRAINT "AccountOperation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;
