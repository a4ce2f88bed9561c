-- services/eqa migration 0001_init (sqlite), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "Plan" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "passThreshold" REAL NOT NULL DEFAULT 0.8,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "PlanAnalyte" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "planId" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "definitionJson" TEXT NOT NULL,
    "order" INTEGER NOT NULL,
    CONSTRAINT "PlanAnalyte_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Round" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "planId" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "opensAt" DATETIME NOT NULL,
    "deadline" DATETIME NOT NULL,
    "publishedAt" DATETIME,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Round_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Sample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "order" INTEGER NOT NULL,
    "expectedJson" TEXT,
    CONSTRAINT "Sample_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Lab" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "department" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "allowedToTestJson" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Enrolment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'invited',
    "enrolledAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "submittedAt" DATETIME,
    "lockedAt" DATETIME,
    "correctionUntil" DATETIME,
    "nonParticipationReason" TEXT,
    "nonParticipationAt" DATETIME,
    CONSTRAINT "Enrolment_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Enrolment_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Result" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER NOT NULL,
    "sampleId" INTEGER NOT NULL,
    "analyteCode" TEXT NOT NULL,
    "valueJson" TEXT NOT NULL,
    "instrument" TEXT,
    "reagent" TEXT,
    "method" TEXT,
    "enteredAt" DATETIME NOT NULL,
    "enteredBy" TEXT NOT NULL,
    CONSTRAINT "Result_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Result_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Result_sampleId_fkey" FOREIGN KEY ("sampleId") REFERENCES "Sample" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "UnlockRequest" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "requestedBy" TEXT NOT NULL,
    "requestedAt" DATETIME NOT NULL,
    "decidedBy" TEXT,
    "decidedAt" DATETIME,
    "note" TEXT,
    CONSTRAINT "UnlockRequest_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "UnlockRequest_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "roundCode" TEXT,
    "labCode" TEXT,
    "detailsJson" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "schemeJson" TEXT NOT NULL,
    "resultJson" TEXT NOT NULL,
    "computedAt" DATETIME NOT NULL,
    "computedBy" TEXT NOT NULL,
    CONSTRAINT "Evaluation_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SchemeOverride" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "analyteCode" TEXT NOT NULL,
    "schemeJson" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    CONSTRAINT "SchemeOverride_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EvaluationRequest" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "requestedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "error" TEXT,
    CONSTRAINT "EvaluationRequest_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Document" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER,
    "kind" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "evaluationVersion" INTEGER,
    "sm3" TEXT NOT NULL,
    "bytes" BLOB NOT NULL,
    "certId" TEXT,
    "subject" TEXT,
    "validFrom" DATETIME,
    "validUntil" DATETIME,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "txHash" TEXT,
    "blockNumber" INTEGER,
    "issuedAt" DATETIME,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Document_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Document_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Recognition" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "labId" INTEGER NOT NULL,
    "analyteCode" TEXT NOT NULL,
    "roundId" INTEGER NOT NULL,
    "documentId" TEXT NOT NULL,
    "validFrom" DATETIME NOT NULL,
    "validUntil" DATETIME NOT NULL,
    CONSTRAINT "Recognition_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Recognition_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Recognition_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LabEvaluation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "labCode" TEXT NOT NULL,
    "json" TEXT NOT NULL,
    CONSTRAINT "LabEvaluation_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "HomogeneityStudy" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "roundId" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "inputJson" TEXT NOT NULL,
    "resultJson" TEXT NOT NULL,
    "documentId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "HomogeneityStudy_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Plan_code_key" ON "Plan"("code");

-- CreateIndex
CREATE UNIQUE INDEX "PlanAnalyte_planId_code_key" ON "PlanAnalyte"("planId", "code");

-- CreateIndex
CREATE UNIQUE INDEX "Round_code_key" ON "Round"("code");

-- CreateIndex
CREATE INDEX "Round_planId_idx" ON "Round"("planId");

-- CreateIndex
CREATE UNIQUE INDEX "Sample_roundId_code_key" ON "Sample"("roundId", "code");

-- CreateIndex
CREATE UNIQUE INDEX "Lab_code_key" ON "Lab"("code");

-- CreateIndex
CREATE INDEX "Lab_institution_idx" ON "Lab"("institution");

-- CreateIndex
CREATE INDEX "Enrolment_labId_idx" ON "Enrolment"("labId");

-- CreateIndex
CREATE UNIQUE INDEX "Enrolment_roundId_labId_key" ON "Enrolment"("roundId", "labId");

-- CreateIndex
CREATE UNIQUE INDEX "Result_roundId_labId_sampleId_analyteCode_key" ON "Result"("roundId", "labId", "sampleId", "analyteCode");

-- CreateIndex
CREATE INDEX "UnlockRequest_roundId_labId_idx" ON "UnlockRequest"("roundId", "labId");

-- CreateIndex
CREATE INDEX "UnlockRequest_status_idx" ON "UnlockRequest"("status");

-- CreateIndex
CREATE INDEX "AuditEvent_roundCode_labCode_idx" ON "AuditEvent"("roundCode", "labCode");

-- CreateIndex
CREATE INDEX "AuditEvent_labCode_idx" ON "AuditEvent"("labCode");

-- CreateIndex
CREATE UNIQUE INDEX "Evaluation_roundId_version_key" ON "Evaluation"("roundId", "version");

-- CreateIndex
CREATE INDEX "SchemeOverride_roundId_analyteCode_idx" ON "SchemeOverride"("roundId", "analyteCode");

-- CreateIndex
CREATE INDEX "EvaluationRequest_roundId_idx" ON "EvaluationRequest"("roundId");

-- CreateIndex
CREATE INDEX "EvaluationRequest_finishedAt_idx" ON "EvaluationRequest"("finishedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Document_number_key" ON "Document"("number");

-- CreateIndex
CREATE INDEX "Document_roundId_labId_kind_idx" ON "Document"("roundId", "labId", "kind");

-- CreateIndex
CREATE INDEX "Document_sm3_idx" ON "Document"("sm3");

-- CreateIndex
CREATE INDEX "Document_status_idx" ON "Document"("status");

-- CreateIndex
CREATE INDEX "Recognition_labId_analyteCode_idx" ON "Recognition"("labId", "analyteCode");

-- CreateIndex
CREATE INDEX "Recognition_roundId_idx" ON "Recognition"("roundId");

-- CreateIndex
CREATE UNIQUE INDEX "LabEvaluation_roundId_version_labCode_key" ON "LabEvaluation"("roundId", "version", "labCode");

-- CreateIndex
CREATE UNIQUE INDEX "HomogeneityStudy_roundId_version_key" ON "HomogeneityStudy"("roundId", "version");
