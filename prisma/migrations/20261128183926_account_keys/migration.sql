-- CreateEnum
CREATE TYPE "EncryptionType" AS ENUM ('SystemKey', 'CustomerKey');

-- AlterTable
ALTER TABLE "MediaAccount" ADD COLUMN     "clientId" UUID,
ADD COLUMN     "encryptionIdentity" TEXT,
ADD COLUMN     "encryptionType" "EncryptionType" NOT NULL DEFAULT 'SystemKey',
ADD COLUMN     "keyIdentifier" TEXT,
ADD COLUMN     "userAssignedIdentities" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "AccountKey" (
    "accountId" UUID NOT NULL,
    "wrapped" BYTEA NOT NULL,
    "wrappedBy" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AccountKey_pkey" PRIMARY KEY ("accountId")
);

-- CreateTable
CREATE TABLE "AccountSecret" (
    "id" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "sealed" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccountSecret_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AccountSecret_accountId_kind_idx" ON "AccountSecret"("accountId", "kind");

-- AddForeignKey
ALTER TABLE "AccountKey" ADD CONSTRAINT "AccountKey_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccountSecret" ADD CONSTRAINT "AccountSecret_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;
