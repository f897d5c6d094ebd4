-- CreateIndex
CREATE INDEX "MediaAccount_subscriptionId_nameKey_resourceGroupKey_idx" ON "MediaAccount"("subscriptionId", "nameKey", "resourceGroupKey");

-- CreateIndex
CREATE INDEX "MediaAccount_subscriptionId_encryptionType_keyStatus_idx" ON "MediaAccount"("subscriptionId", "encryptionType", "keyStatus");
