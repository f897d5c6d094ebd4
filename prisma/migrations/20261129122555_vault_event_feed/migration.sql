-- CreateTable
CREATE TABLE "VaultEventFeed" (
    "vaultHost" TEXT NOT NULL,
    "lastEventAt" TIMESTAMP(3) NOT NULL,
    "lastEventType" TEXT NOT NULL,
    "lastEventId" TEXT NOT NULL,
    "received" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "VaultEventFeed_pkey" PRIMARY KEY ("vaultHost")
);
