-- DropIndex
DROP INDEX "MediaAccount_subscriptionId_encryptionType_keyStatus_idx";
