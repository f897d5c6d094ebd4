-- CreateEnum
CREATE TYPE "KeyStatus" AS ENUM ('Active', 'Inaccessible');

-- AlterTable
ALTER TABLE "MediaAccount" ADD COLUMN     "keyStatus" "KeyStatus" NOT NULL DEFAULT 'Active',
ADD COLUMN     "keyStatusMessage" TEXT,
ADD COLUMN     "keyStatusReason" TEXT,
ADD COLUMN     "lastCheckAt" TIMESTAMP(3),
ADD COLUMN     "lastSuccessAt" TIMESTAMP(3),
ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "leaseUntil" TIMESTAMP(3),
ADD COLUMN     "nextCheckAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "unreachableReason" TEXT,
ADD COLUMN     "unreachableSince" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "KeyTransition" (
    "id" BIGSERIAL NOT NULL,
    "accountId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "fromState" TEXT NOT NULL,
    "toState" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" TEXT,

    CONSTRAINT "KeyTransition_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "KeyTransition_accountId_at_idx" ON "KeyTransition"("accountId", "at");

-- CreateIndex
CREATE INDEX "KeyTransition_at_idx" ON "KeyTransition"("at");

-- CreateIndex
CREATE INDEX "MediaAccount_encryptionType_nextCheckAt_idx" ON "MediaAccount"("encryptionType", "nextCheckAt");

-- AddForeignKey
ALTER TABLE "KeyTransition" ADD CONSTRAINT "KeyTransition_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "MediaAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;
