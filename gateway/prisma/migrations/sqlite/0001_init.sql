-- gateway migration 0001_init (sqlite), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "Institution" (
    "address" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "systemRolesJson" TEXT NOT NULL DEFAULT '[]',
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Staff" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "institution" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "rolesJson" TEXT NOT NULL,
    "sm2PublicKey" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Challenge" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject" TEXT NOT NULL,
    "principalJson" TEXT NOT NULL,
    "sessionPublicKey" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "endedAt" DATETIME
);

-- CreateTable
CREATE TABLE "IdempotencyKey" (
    "key" TEXT NOT NULL,
    "principal" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "responseStatus" INTEGER,
    "responseBody" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" DATETIME,

    PRIMARY KEY ("key", "principal")
);

-- CreateTable
CREATE TABLE "IndexEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "institution" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "schemaVersion" INTEGER NOT NULL,
    "pointerHash" TEXT NOT NULL,
    "sourceTime" INTEGER NOT NULL,
    "batchId" TEXT,
    "root" TEXT,
    "leafIndex" INTEGER,
    "proofJson" TEXT,
    "txHash" TEXT,
    "blockNumber" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Original" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "institution" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "cid" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "wrappedDataKey" TEXT NOT NULL,
    "fieldsSchemaJson" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "residentAddress" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "anchoring" TEXT NOT NULL,
    "txHash" TEXT NOT NULL,
    "blockNumber" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "RecordReservation" (
    "institution" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "anchoring" TEXT NOT NULL,
    "cid" TEXT,
    "root" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("institution", "recordId")
);

-- CreateTable
CREATE TABLE "AccessLogLine" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "requestId" TEXT NOT NULL,
    "accessor" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "fieldsJson" TEXT NOT NULL,
    "purpose" INTEGER NOT NULL,
    "grantId" TEXT,
    "grantIdsJson" TEXT NOT NULL DEFAULT '[]',
    "reader" TEXT NOT NULL DEFAULT '',
    "lineText" TEXT NOT NULL DEFAULT '',
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "accessedAt" DATETIME NOT NULL,
    "lineHash" TEXT NOT NULL,
    "claimedBy" TEXT,
    "claimedUntil" DATETIME,
    "pendingRoot" TEXT,
    "pendingLeaf" INTEGER,
    "batchId" TEXT,
    "leafIndex" INTEGER,
    "proofJson" TEXT,
    "txHash" TEXT,
    "recorder" TEXT,
    "blockNumber" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "resident" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payloadJson" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "readAt" DATETIME
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "subject" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "institution" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "purpose" TEXT,
    "outcome" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "ip" TEXT,
    "detailsJson" TEXT
);

-- CreateIndex
CREATE INDEX "Staff_institution_idx" ON "Staff"("institution");

-- CreateIndex
CREATE INDEX "Challenge_expiresAt_idx" ON "Challenge"("expiresAt");

-- CreateIndex
CREATE INDEX "Session_subject_idx" ON "Session"("subject");

-- CreateIndex
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");

-- CreateIndex
CREATE INDEX "IdempotencyKey_createdAt_idx" ON "IdempotencyKey"("createdAt");

-- CreateIndex
CREATE INDEX "IndexEntry_residentRef_idx" ON "IndexEntry"("residentRef");

-- CreateIndex
CREATE INDEX "IndexEntry_institution_root_idx" ON "IndexEntry"("institution", "root");

-- CreateIndex
CREATE INDEX "IndexEntry_batchId_idx" ON "IndexEntry"("batchId");

-- CreateIndex
CREATE UNIQUE INDEX "IndexEntry_institution_recordId_key" ON "IndexEntry"("institution", "recordId");

-- CreateIndex
CREATE INDEX "Original_residentAddress_idx" ON "Original"("residentAddress");

-- CreateIndex
CREATE INDEX "Original_residentRef_idx" ON "Original"("residentRef");

-- CreateIndex
CREATE UNIQUE INDEX "Original_institution_recordId_key" ON "Original"("institution", "recordId");

-- CreateIndex
CREATE INDEX "RecordReservation_holder_idx" ON "RecordReservation"("holder");

-- CreateIndex
CREATE INDEX "AccessLogLine_batchId_claimedUntil_idx" ON "AccessLogLine"("batchId", "claimedUntil");

-- CreateIndex
CREATE INDEX "AccessLogLine_pendingRoot_pendingLeaf_idx" ON "AccessLogLine"("pendingRoot", "pendingLeaf");

-- CreateIndex
CREATE INDEX "AccessLogLine_recordId_accessedAt_idx" ON "AccessLogLine"("recordId", "accessedAt");

-- CreateIndex
CREATE INDEX "AccessLogLine_residentRef_accessedAt_idx" ON "AccessLogLine"("residentRef", "accessedAt");

-- CreateIndex
CREATE INDEX "AccessLogLine_accessor_accessedAt_idx" ON "AccessLogLine"("accessor", "accessedAt");

-- CreateIndex
CREATE INDEX "Notification_resident_id_idx" ON "Notification"("resident", "id");

-- CreateIndex
CREATE INDEX "Notification_resident_readAt_idx" ON "Notification"("resident", "readAt");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");

-- CreateIndex
CREATE INDEX "AuditLog_subject_at_idx" ON "AuditLog"("subject", "at");

-- CreateIndex
CREATE INDEX "AuditLog_institution_at_idx" ON "AuditLog"("institution", "at");

-- CreateIndex
CREATE INDEX "AuditLog_action_at_idx" ON "AuditLog"("action", "at");
