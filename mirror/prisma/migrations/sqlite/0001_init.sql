-- mirror migration 0001_init (sqlite), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "ChainEvent" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "chainId" INTEGER NOT NULL,
    "contract" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "eventName" TEXT NOT NULL,
    "blockHash" TEXT NOT NULL,
    "txHash" TEXT NOT NULL,
    "txIndex" INTEGER NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "args" TEXT NOT NULL,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "Block" (
    "number" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hash" TEXT NOT NULL,
    "parentHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Checkpoint" (
    "contract" TEXT NOT NULL PRIMARY KEY,
    "address" TEXT NOT NULL,
    "blockNumber" INTEGER NOT NULL,
    "blockHash" TEXT NOT NULL,
    "blockTime" DATETIME,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RecordEvent" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "residentRef" TEXT,
    "category" TEXT,
    "contentHash" TEXT NOT NULL,
    "pointerHash" TEXT,
    "schemaVersion" INTEGER,
    "sourceTime" TEXT,
    "previousContentHash" TEXT,
    "reason" INTEGER,
    "changedAt" TEXT,
    "version" INTEGER,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "BatchAnchor" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "batchId" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "kind" INTEGER NOT NULL,
    "root" TEXT NOT NULL,
    "leafCount" INTEGER NOT NULL,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "GrantEvent" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "grantee" TEXT,
    "granteeKind" INTEGER,
    "parentId" TEXT,
    "mayReshare" BOOLEAN,
    "purposes" INTEGER,
    "notBefore" TEXT,
    "notAfter" TEXT,
    "scope" TEXT,
    "signer" TEXT NOT NULL,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "DelegationEvent" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "delegate" TEXT NOT NULL,
    "delegationId" TEXT NOT NULL,
    "relation" INTEGER,
    "notAfter" TEXT,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "RequestEvent" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "grantee" TEXT,
    "institution" TEXT,
    "granteeKind" INTEGER,
    "scope" TEXT,
    "purposes" INTEGER,
    "validFor" TEXT,
    "answerBy" TEXT,
    "reasonHash" TEXT,
    "approved" BOOLEAN,
    "mode" INTEGER,
    "grantId" TEXT,
    "signer" TEXT,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "AccessEvidence" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "evidenceId" TEXT NOT NULL,
    "accessor" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "fields" TEXT NOT NULL,
    "purpose" INTEGER NOT NULL,
    "grantId" TEXT NOT NULL,
    "accessedAt" TEXT NOT NULL,
    "outcome" INTEGER NOT NULL,
    "recorder" TEXT NOT NULL,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "AccessBatch" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "batchId" TEXT NOT NULL,
    "recorder" TEXT NOT NULL,
    "root" TEXT NOT NULL,
    "lineCount" INTEGER NOT NULL,
    "fromTime" TEXT NOT NULL,
    "toTime" TEXT NOT NULL,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "WorkflowStep" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "workflowId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "decision" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "documentHash" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "institution" TEXT NOT NULL,
    "stepTime" TEXT NOT NULL,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateTable
CREATE TABLE "CertificateEvent" (
    "blockNumber" INTEGER NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "txHash" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "certId" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT,
    "documentType" INTEGER,
    "documentHash" TEXT,
    "issuedAt" TEXT,
    "validFrom" TEXT,
    "validUntil" TEXT,
    "issuerSignature" TEXT,
    "reason" INTEGER,
    "revokedAt" TEXT,

    PRIMARY KEY ("blockNumber", "logIndex")
);

-- CreateIndex
CREATE INDEX "ChainEvent_contract_eventName_blockNumber_idx" ON "ChainEvent"("contract", "eventName", "blockNumber");

-- CreateIndex
CREATE INDEX "RecordEvent_institution_recordId_idx" ON "RecordEvent"("institution", "recordId");

-- CreateIndex
CREATE INDEX "RecordEvent_residentRef_idx" ON "RecordEvent"("residentRef");

-- CreateIndex
CREATE INDEX "BatchAnchor_batchId_idx" ON "BatchAnchor"("batchId");

-- CreateIndex
CREATE INDEX "BatchAnchor_institution_root_idx" ON "BatchAnchor"("institution", "root");

-- CreateIndex
CREATE INDEX "GrantEvent_grantId_idx" ON "GrantEvent"("grantId");

-- CreateIndex
CREATE INDEX "GrantEvent_resident_kind_idx" ON "GrantEvent"("resident", "kind");

-- CreateIndex
CREATE INDEX "GrantEvent_grantee_kind_idx" ON "GrantEvent"("grantee", "kind");

-- CreateIndex
CREATE INDEX "GrantEvent_parentId_idx" ON "GrantEvent"("parentId");

-- CreateIndex
CREATE INDEX "DelegationEvent_resident_idx" ON "DelegationEvent"("resident");

-- CreateIndex
CREATE INDEX "RequestEvent_requestId_idx" ON "RequestEvent"("requestId");

-- CreateIndex
CREATE INDEX "RequestEvent_resident_kind_idx" ON "RequestEvent"("resident", "kind");

-- CreateIndex
CREATE INDEX "RequestEvent_institution_kind_idx" ON "RequestEvent"("institution", "kind");

-- CreateIndex
CREATE INDEX "AccessEvidence_recordId_idx" ON "AccessEvidence"("recordId");

-- CreateIndex
CREATE INDEX "AccessEvidence_evidenceId_idx" ON "AccessEvidence"("evidenceId");

-- CreateIndex
CREATE INDEX "AccessBatch_batchId_idx" ON "AccessBatch"("batchId");

-- CreateIndex
CREATE INDEX "WorkflowStep_workflowId_idx" ON "WorkflowStep"("workflowId");

-- CreateIndex
CREATE INDEX "CertificateEvent_certId_idx" ON "CertificateEvent"("certId");
