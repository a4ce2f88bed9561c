-- gateway migration 0003_anchor_mode (sqlite), written by scripts/prisma.ts
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_IndexEntry" (
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "anchorMode" TEXT NOT NULL DEFAULT 'clear-hash'
);
INSERT INTO "new_IndexEntry" ("batchId", "blockNumber", "category", "contentHash", "createdAt", "id", "institution", "leafIndex", "pointerHash", "proofJson", "recordId", "residentRef", "root", "schemaVersion", "sourceTime", "txHash") SELECT "batchId", "blockNumber", "category", "contentHash", "createdAt", "id", "institution", "leafIndex", "pointerHash", "proofJson", "recordId", "residentRef", "root", "schemaVersion", "sourceTime", "txHash" FROM "IndexEntry";
DROP TABLE "IndexEntry";
ALTER TABLE "new_IndexEntry" RENAME TO "IndexEntry";
CREATE INDEX "IndexEntry_residentRef_idx" ON "IndexEntry"("residentRef");
CREATE INDEX "IndexEntry_institution_root_idx" ON "IndexEntry"("institution", "root");
CREATE INDEX "IndexEntry_batchId_idx" ON "IndexEntry"("batchId");
CREATE UNIQUE INDEX "IndexEntry_institution_recordId_key" ON "IndexEntry"("institution", "recordId");
CREATE TABLE "new_Original" (
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
    "version" INTEGER NOT NULL DEFAULT 1,
    "voidedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "anchorMode" TEXT NOT NULL DEFAULT 'clear-hash'
);
INSERT INTO "new_Original" ("anchoring", "blockNumber", "category", "cid", "contentHash", "createdAt", "fieldsSchemaJson", "id", "institution", "keyId", "recordId", "residentAddress", "residentRef", "txHash", "version", "voidedAt", "wrappedDataKey") SELECT "anchoring", "blockNumber", "category", "cid", "contentHash", "createdAt", "fieldsSchemaJson", "id", "institution", "keyId", "recordId", "residentAddress", "residentRef", "txHash", "version", "voidedAt", "wrappedDataKey" FROM "Original";
DROP TABLE "Original";
ALTER TABLE "new_Original" RENAME TO "Original";
CREATE INDEX "Original_residentAddress_idx" ON "Original"("residentAddress");
CREATE INDEX "Original_residentRef_idx" ON "Original"("residentRef");
CREATE UNIQUE INDEX "Original_institution_recordId_key" ON "Original"("institution", "recordId");
CREATE TABLE "new_RecordVersion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "institution" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "reason" INTEGER NOT NULL,
    "changedAt" INTEGER NOT NULL,
    "previousContentHash" TEXT NOT NULL,
    "newContentHash" TEXT NOT NULL,
    "newPointerHash" TEXT NOT NULL,
    "newResidentRef" TEXT NOT NULL,
    "cid" TEXT NOT NULL,
    "previousCid" TEXT NOT NULL,
    "previousKeyId" TEXT NOT NULL,
    "previousWrappedDataKey" TEXT NOT NULL,
    "previousFieldsSchemaJson" TEXT NOT NULL,
    "anchoring" TEXT NOT NULL,
    "batchId" TEXT,
    "root" TEXT,
    "leafIndex" INTEGER,
    "proofJson" TEXT,
    "txHash" TEXT NOT NULL,
    "blockNumber" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "anchorMode" TEXT NOT NULL DEFAULT 'clear-hash'
);
INSERT INTO "new_RecordVersion" ("anchoring", "batchId", "blockNumber", "changedAt", "cid", "createdAt", "id", "institution", "leafIndex", "newContentHash", "newPointerHash", "newResidentRef", "previousCid", "previousContentHash", "previousFieldsSchemaJson", "previousKeyId", "previousWrappedDataKey", "proofJson", "reason", "recordId", "root", "txHash", "version") SELECT "anchoring", "batchId", "blockNumber", "changedAt", "cid", "createdAt", "id", "institution", "leafIndex", "newContentHash", "newPointerHash", "newResidentRef", "previousCid", "previousContentHash", "previousFieldsSchemaJson", "previousKeyId", "previousWrappedDataKey", "proofJson", "reason", "recordId", "root", "txHash", "version" FROM "RecordVersion";
DROP TABLE "RecordVersion";
ALTER TABLE "new_RecordVersion" RENAME TO "RecordVersion";
CREATE INDEX "RecordVersion_batchId_idx" ON "RecordVersion"("batchId");
CREATE INDEX "RecordVersion_recordId_idx" ON "RecordVersion"("recordId");
CREATE INDEX "RecordVersion_newResidentRef_idx" ON "RecordVersion"("newResidentRef");
CREATE UNIQUE INDEX "RecordVersion_institution_recordId_version_key" ON "RecordVersion"("institution", "recordId", "version");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
