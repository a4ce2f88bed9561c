-- services/his migration 0001_init (sqlite), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "ConfigVersion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "json" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT NOT NULL,
    "note" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "CollectionTask" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "sourceJson" TEXT NOT NULL,
    "schedule" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    "scopeJson" TEXT NOT NULL DEFAULT '{}',
    "pageSize" INTEGER NOT NULL DEFAULT 1000,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "runRequestedAt" DATETIME,
    "runRequestedBy" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "TaskCursor" (
    "taskId" TEXT NOT NULL PRIMARY KEY,
    "cursor" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TaskCursor_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "CollectionTask" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CollectionRun" (
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

-- CreateTable
CREATE TABLE "ReceivedItem" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskId" TEXT NOT NULL,
    "itemKey" TEXT NOT NULL,
    "runId" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "recordId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "QuarantineItem" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskId" TEXT NOT NULL,
    "runId" INTEGER NOT NULL,
    "itemKey" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "messageZh" TEXT NOT NULL,
    "detailsJson" TEXT,
    "raw" TEXT NOT NULL,
    "itemJson" TEXT,
    "status" TEXT NOT NULL DEFAULT 'open',
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "resolvedBy" TEXT,
    "resolvedAt" DATETIME,
    "resolutionNote" TEXT,
    "replayRequestedAt" DATETIME,
    "replayRequestedBy" TEXT,
    "replayRunId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "QualityReport" (
    "runId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "reportJson" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "QualityReport_runId_fkey" FOREIGN KEY ("runId") REFERENCES "CollectionRun" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CollectedRecord" (
    "recordId" TEXT NOT NULL PRIMARY KEY,
    "institution" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "modelVersion" INTEGER NOT NULL,
    "sourceKey" TEXT NOT NULL,
    "patientId" TEXT NOT NULL DEFAULT '',
    "personId" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "contentJson" TEXT NOT NULL,
    "fieldsJson" TEXT NOT NULL,
    "sourceTime" DATETIME NOT NULL,
    "contentAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "anchorState" TEXT NOT NULL DEFAULT 'pending',
    "anchorBatchId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RecordChange" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "recordId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "previousContentHash" TEXT NOT NULL,
    "newContentHash" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "newResidentRef" TEXT,
    "contentJson" TEXT NOT NULL,
    "changedAt" DATETIME NOT NULL,
    "anchorState" TEXT NOT NULL DEFAULT 'pending',
    "anchorBatchId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AnchorBatch" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "policyJson" TEXT NOT NULL,
    "sentJson" TEXT,
    "root" TEXT,
    "chainBatch" TEXT,
    "txHash" TEXT,
    "blockNumber" INTEGER,
    "errorJson" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "DeidUse" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "policyName" TEXT NOT NULL,
    "policyVersion" INTEGER NOT NULL,
    "policyHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "recordCount" INTEGER NOT NULL,
    "outputHash" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "CodeMappingDecision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "dictionary" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "localCode" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "standardCode" TEXT,
    "decidedBy" TEXT NOT NULL,
    "decisionJson" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "CodeMappingReview" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "dictionary" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "localCode" TEXT NOT NULL,
    "localName" TEXT NOT NULL,
    "localUnit" TEXT NOT NULL,
    "proposalJson" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "EmpiPerson" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL DEFAULT 'active',
    "mergedInto" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "EmpiIdentity" (
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

-- CreateTable
CREATE TABLE "EmpiReview" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "identityId" INTEGER NOT NULL,
    "candidatePersonId" TEXT NOT NULL,
    "score" REAL NOT NULL,
    "comparisonJson" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "decidedBy" TEXT,
    "decidedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "EmpiEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "otherPersonId" TEXT,
    "identityId" INTEGER,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "detailsJson" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "ConfigVersion_kind_name_active_idx" ON "ConfigVersion"("kind", "name", "active");

-- CreateIndex
CREATE UNIQUE INDEX "ConfigVersion_kind_name_version_key" ON "ConfigVersion"("kind", "name", "version");

-- CreateIndex
CREATE INDEX "CollectionRun_taskId_startedAt_idx" ON "CollectionRun"("taskId", "startedAt");

-- CreateIndex
CREATE INDEX "CollectionRun_status_idx" ON "CollectionRun"("status");

-- CreateIndex
CREATE INDEX "ReceivedItem_runId_idx" ON "ReceivedItem"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "ReceivedItem_taskId_itemKey_key" ON "ReceivedItem"("taskId", "itemKey");

-- CreateIndex
CREATE INDEX "QuarantineItem_status_createdAt_idx" ON "QuarantineItem"("status", "createdAt");

-- CreateIndex
CREATE INDEX "QuarantineItem_runId_idx" ON "QuarantineItem"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "QuarantineItem_taskId_itemKey_key" ON "QuarantineItem"("taskId", "itemKey");

-- CreateIndex
CREATE INDEX "CollectedRecord_personId_idx" ON "CollectedRecord"("personId");

-- CreateIndex
CREATE INDEX "CollectedRecord_anchorState_createdAt_idx" ON "CollectedRecord"("anchorState", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "CollectedRecord_institution_model_sourceKey_key" ON "CollectedRecord"("institution", "model", "sourceKey");

-- CreateIndex
CREATE INDEX "RecordChange_anchorState_changedAt_idx" ON "RecordChange"("anchorState", "changedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RecordChange_recordId_version_key" ON "RecordChange"("recordId", "version");

-- CreateIndex
CREATE INDEX "AnchorBatch_state_idx" ON "AnchorBatch"("state");

-- CreateIndex
CREATE UNIQUE INDEX "CodeMappingDecision_dictionary_institution_localCode_version_key" ON "CodeMappingDecision"("dictionary", "institution", "localCode", "version");

-- CreateIndex
CREATE INDEX "CodeMappingReview_status_idx" ON "CodeMappingReview"("status");

-- CreateIndex
CREATE UNIQUE INDEX "CodeMappingReview_dictionary_institution_localCode_key" ON "CodeMappingReview"("dictionary", "institution", "localCode");

-- CreateIndex
CREATE INDEX "EmpiPerson_mergedInto_idx" ON "EmpiPerson"("mergedInto");

-- CreateIndex
CREATE INDEX "EmpiIdentity_personId_idx" ON "EmpiIdentity"("personId");

-- CreateIndex
CREATE INDEX "EmpiIdentity_idKey_idx" ON "EmpiIdentity"("idKey");

-- CreateIndex
CREATE INDEX "EmpiIdentity_birthKey_idx" ON "EmpiIdentity"("birthKey");

-- CreateIndex
CREATE INDEX "EmpiIdentity_phoneKey_idx" ON "EmpiIdentity"("phoneKey");

-- CreateIndex
CREATE UNIQUE INDEX "EmpiIdentity_institution_patientId_key" ON "EmpiIdentity"("institution", "patientId");

-- CreateIndex
CREATE INDEX "EmpiReview_status_idx" ON "EmpiReview"("status");

-- CreateIndex
CREATE INDEX "EmpiReview_identityId_idx" ON "EmpiReview"("identityId");

-- CreateIndex
CREATE INDEX "EmpiReview_candidatePersonId_idx" ON "EmpiReview"("candidatePersonId");

-- CreateIndex
CREATE INDEX "EmpiEvent_personId_idx" ON "EmpiEvent"("personId");

-- CreateIndex
CREATE INDEX "EmpiEvent_otherPersonId_idx" ON "EmpiEvent"("otherPersonId");

-- CreateIndex
CREATE INDEX "EmpiEvent_identityId_idx" ON "EmpiEvent"("identityId");
