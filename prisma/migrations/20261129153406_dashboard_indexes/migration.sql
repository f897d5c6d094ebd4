-- CreateIndex
CREATE INDEX "MediaAccount_subscriptionId_keyStatus_name_idx" ON "MediaAccount"("subscriptionId", "keyStatus" DESC, "name");

-- CreateIndex
CREATE INDEX "MediaAccount_subscriptionId_encryptionType_keyStatus_name_idx" ON "MediaAccount"("subscriptionId", "encryptionType", "keyStatus" DESC, "name");
