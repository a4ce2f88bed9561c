-- services/his migration 0001_init (postgresql), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "ConfigVersion" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "json" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT NOT NULL,
    "note" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConfigVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CollectionTask" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "sourceJson" TEXT NOT NULL,
    "schedule" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    "scopeJson" TEXT NOT NULL DEFAULT '{}',
    "pageSize" INTEGER NOT NULL DEFAULT 1000,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "runRequestedAt" TIMESTAMP(3),
    "runRequestedBy" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CollectionTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskCursor" (
    "taskId" TEXT NOT NULL,
    "cursor" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TaskCursor_pkey" PRIMARY KEY ("taskId")
);

-- CreateTable
CREATE TABLE "CollectionRun" (
    "id" SERIAL NOT NULL,
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
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CollectionRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReceivedItem" (
    "id" SERIAL NOT NULL,
    "taskId" TEXT NOT NULL,
    "itemKey" TEXT NOT NULL,
    "runId" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "recordId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReceivedItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QuarantineItem" (
    "id" SERIAL NOT NULL,
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
    "resolvedAt" TIMESTAMP(3),
    "resolutionNote" TEXT,
    "replayRequestedAt" TIMESTAMP(3),
    "replayRequestedBy" TEXT,
    "replayRunId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "QuarantineItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QualityReport" (
    "runId" INTEGER NOT NULL,
    "reportJson" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QualityReport_pkey" PRIMARY KEY ("runId")
);

-- CreateTable
CREATE TABLE "CollectedRecord" (
    "recordId" TEXT NOT NULL,
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
    "sourceTime" TIMESTAMP(3) NOT NULL,
    "contentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "anchorState" TEXT NOT NULL DEFAULT 'pending',
    "anchorBatchId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CollectedRecord_pkey" PRIMARY KEY ("recordId")
);

-- CreateTable
CREATE TABLE "RecordChange" (
    "id" SERIAL NOT NULL,
    "recordId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "previousContentHash" TEXT NOT NULL,
    "newContentHash" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "newResidentRef" TEXT,
    "contentJson" TEXT NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL,
    "anchorState" TEXT NOT NULL DEFAULT 'pending',
    "anchorBatchId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RecordChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnchorBatch" (
    "id" SERIAL NOT NULL,
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
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "AnchorBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeidUse" (
    "id" SERIAL NOT NULL,
    "policyName" TEXT NOT NULL,
    "policyVersion" INTEGER NOT NULL,
    "policyHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "recordCount" INTEGER NOT NULL,
    "outputHash" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeidUse_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CodeMappingDecision" (
    "id" SERIAL NOT NULL,
    "dictionary" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "localCode" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "standardCode" TEXT,
    "decidedBy" TEXT NOT NULL,
    "decisionJson" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CodeMappingDecision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CodeMappingReview" (
    "id" SERIAL NOT NULL,
    "dictionary" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "localCode" TEXT NOT NULL,
    "localName" TEXT NOT NULL,
    "localUnit" TEXT NOT NULL,
    "proposalJson" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CodeMappingReview_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmpiPerson" (
    "id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "mergedInto" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmpiPerson_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmpiIdentity" (
    "id" SERIAL NOT NULL,
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
    "linkScore" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmpiIdentity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmpiReview" (
    "id" SERIAL NOT NULL,
    "identityId" INTEGER NOT NULL,
    "candidatePersonId" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "comparisonJson" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmpiReview_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmpiEvent" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "otherPersonId" TEXT,
    "identityId" INTEGER,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "detailsJson" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmpiEvent_pkey" PRIMARY KEY ("id")
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
CREATE UNIQUE INDEX "CodeMappingDecision_dictionary_institution_localCode_versio_key" ON "CodeMappingDecision"("dictionary", "institution", "localCode", "version");

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

-- AddForeignKey
ALTER TABLE "TaskCursor" ADD CONSTRAINT "TaskCursor_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "CollectionTask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CollectionRun" ADD CONSTRAINT "CollectionRun_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "CollectionTask"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QualityReport" ADD CONSTRAINT "QualityReport_runId_fkey" FOREIGN KEY ("runId") REFERENCES "CollectionRun"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmpiIdentity" ADD CONSTRAINT "EmpiIdentity_personId_fkey" FOREIGN KEY ("personId") REFERENCES "EmpiPerson"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
