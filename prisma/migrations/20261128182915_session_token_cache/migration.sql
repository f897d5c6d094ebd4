-- CreateTable
CREATE TABLE "SessionTokenCache" (
    "sessionId" TEXT NOT NULL,
    "sealed" BYTEA NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SessionTokenCache_pkey" PRIMARY KEY ("sessionId")
);

-- CreateIndex
CREATE INDEX "SessionTokenCache_expiresAt_idx" ON "SessionTokenCache"("expiresAt");
