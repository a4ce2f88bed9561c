-- gateway migration 0002_record_changes (sqlite), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "RecordVersion" (
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Original" ("anchoring", "blockNumber", "category", "cid", "contentHash", "createdAt", "fieldsSchemaJson", "id", "institution", "keyId", "recordId", "residentAddress", "residentRef", "txHash", "wrappedDataKey") SELECT "anchoring", "blockNumber", "category", "cid", "contentHash", "createdAt", "fieldsSchemaJson", "id", "institution", "keyId", "recordId", "residentAddress", "residentRef", "txHash", "wrappedDataKey" FROM "Original";
DROP TABLE "Original";
ALTER TABLE "new_Original" RENAME TO "Original";
CREATE INDEX "Original_residentAddress_idx" ON "Original"("residentAddress");
CREATE INDEX "Original_residentRef_idx" ON "Original"("residentRef");
CREATE UNIQUE INDEX "Original_institution_recordId_key" ON "Original"("institution", "recordId");
CREATE TABLE "new_RecordReservation" (
    "institution" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "anchoring" TEXT NOT NULL,
    "cid" TEXT,
    "root" TEXT,
    "purpose" TEXT NOT NULL DEFAULT 'anchor',
    "chainVersion" INTEGER,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("institution", "recordId")
);
INSERT INTO "new_RecordReservation" ("anchoring", "cid", "createdAt", "expiresAt", "holder", "institution", "recordId", "root") SELECT "anchoring", "cid", "createdAt", "expiresAt", "holder", "institution", "recordId", "root" FROM "RecordReservation";
DROP TABLE "RecordReservation";
ALTER TABLE "new_RecordReservation" RENAME TO "RecordReservation";
CREATE INDEX "RecordReservation_holder_idx" ON "RecordReservation"("holder");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "RecordVersion_batchId_idx" ON "RecordVersion"("batchId");

-- CreateIndex
CREATE INDEX "RecordVersion_recordId_idx" ON "RecordVersion"("recordId");

-- CreateIndex
CREATE INDEX "RecordVersion_newResidentRef_idx" ON "RecordVersion"("newResidentRef");

-- CreateIndex
CREATE UNIQUE INDEX "RecordVersion_institution_recordId_version_key" ON "RecordVersion"("institution", "recordId", "version");
