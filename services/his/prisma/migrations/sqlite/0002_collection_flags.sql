-- services/his migration 0002_collection_flags (sqlite), written by scripts/prisma.ts
-- AlterTable
ALTER TABLE "CollectionTask" ADD COLUMN "runRequestedAt" DATETIME;
ALTER TABLE "CollectionTask" ADD COLUMN "runRequestedBy" TEXT;

-- AlterTable
ALTER TABLE "QuarantineItem" ADD COLUMN "replayRequestedAt" DATETIME;
ALTER TABLE "QuarantineItem" ADD COLUMN "replayRequestedBy" TEXT;
ALTER TABLE "QuarantineItem" ADD COLUMN "resolutionNote" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_CollectionRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskId" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "cursorFrom" TEXT,
    "cursorTo" TEXT,
    "read" INTEGER NOT NULL DEFAULT 0,
    "accepted" INTEGER NOT NULL DEFAULT 0,
    "duplicates" INTEGER NOT NULL DEFAULT 0,
    "changes" INTEGER NOT NULL DEFAULT 0,
    "quarantined" INTEGER NOT NULL DEFAULT 0,
    "filtered" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "pages" INTEGER NOT NULL DEFAULT 0,
    "errorJson" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    CONSTRAINT "CollectionRun_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "CollectionTask" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_CollectionRun" ("accepted", "changes", "cursorFrom", "cursorTo", "duplicates", "errorJson", "finishedAt", "heartbeatAt", "id", "pages", "quarantined", "read", "startedAt", "status", "taskId", "trigger") SELECT "accepted", "changes", "cursorFrom", "cursorTo", "duplicates", "errorJson", "finishedAt", "heartbeatAt", "id", "pages", "quarantined", "read", "startedAt", "status", "taskId", "trigger" FROM "CollectionRun";
DROP TABLE "CollectionRun";
ALTER TABLE "new_CollectionRun" RENAME TO "CollectionRun";
CREATE INDEX "CollectionRun_taskId_startedAt_idx" ON "CollectionRun"("taskId", "startedAt");
CREATE INDEX "CollectionRun_status_idx" ON "CollectionRun"("status");
CREATE TABLE "new_CollectedRecord" (
    "recordId" TEXT NOT NULL PRIMARY KEY,
    "institution" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "modelVersion" INTEGER NOT NULL,
    "sourceKey" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "contentJson" TEXT NOT NULL,
    "fieldsJson" TEXT NOT NULL,
    "sourceTime" DATETIME NOT NULL,
    "anchorState" TEXT NOT NULL DEFAULT 'pending',
    "anchorBatchId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_CollectedRecord" ("anchorBatchId", "anchorState", "category", "contentHash", "contentJson", "createdAt", "institution", "model", "modelVersion", "personId", "recordId", "residentRef", "sourceKey", "sourceTime", "updatedAt", "version") SELECT "anchorBatchId", "anchorState", "category", "contentHash", "contentJson", "createdAt", "institution", "model", "modelVersion", "personId", "recordId", "residentRef", "sourceKey", "sourceTime", "updatedAt", "version" FROM "CollectedRecord";
DROP TABLE "CollectedRecord";
ALTER TABLE "new_CollectedRecord" RENAME TO "CollectedRecord";
CREATE INDEX "CollectedRecord_personId_idx" ON "CollectedRecord"("personId");
CREATE INDEX "CollectedRecord_anchorState_createdAt_idx" ON "CollectedRecord"("anchorState", "createdAt");
CREATE UNIQUE INDEX "CollectedRecord_institution_model_sourceKey_key" ON "CollectedRecord"("institution", "model", "sourceKey");
CREATE TABLE "new_EmpiIdentity" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "institution" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "sex" TEXT NOT NULL,
    "birthDate" TEXT NOT NULL,
    "idNumber" TEXT,
    "phone" TEXT,
    "address" TEXT,
    "idKey" TEXT,
    "birthKey" TEXT NOT NULL,
    "phoneKey" TEXT,
    "linkMethod" TEXT NOT NULL,
    "linkScore" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "EmpiIdentity_personId_fkey" FOREIGN KEY ("personId") REFERENCES "EmpiPerson" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_EmpiIdentity" ("address", "birthDate", "birthKey", "createdAt", "id", "idKey", "idNumber", "institution", "linkMethod", "linkScore", "name", "patientId", "personId", "phone", "phoneKey", "sex", "updatedAt") SELECT "address", "birthDate", "birthKey", "createdAt", "id", "idKey", "idNumber", "institution", "linkMethod", "linkScore", "name", "patientId", "personId", "phone", "phoneKey", "sex", "updatedAt" FROM "EmpiIdentity";
DROP TABLE "EmpiIdentity";
ALTER TABLE "new_EmpiIdentity" RENAME TO "EmpiIdentity";
CREATE INDEX "EmpiIdentity_personId_idx" ON "EmpiIdentity"("personId");
CREATE INDEX "EmpiIdentity_idKey_idx" ON "EmpiIdentity"("idKey");
CREATE INDEX "EmpiIdentity_birthKey_idx" ON "EmpiIdentity"("birthKey");
CREATE INDEX "EmpiIdentity_phoneKey_idx" ON "EmpiIdentity"("phoneKey");
CREATE UNIQUE INDEX "EmpiIdentity_institution_patientId_key" ON "EmpiIdentity"("institution", "patientId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "EmpiEvent_otherPersonId_idx" ON "EmpiEvent"("otherPersonId");
