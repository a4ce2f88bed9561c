-- services/eqa migration 0001_init (postgresql), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "Plan" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "passThreshold" DOUBLE PRECISION NOT NULL DEFAULT 0.8,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Plan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PlanAnalyte" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "definitionJson" TEXT NOT NULL,
    "order" INTEGER NOT NULL,

    CONSTRAINT "PlanAnalyte_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Round" (
    "id" SERIAL NOT NULL,
    "planId" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "opensAt" TIMESTAMP(3) NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "publishedAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Round_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sample" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "order" INTEGER NOT NULL,
    "expectedJson" TEXT,

    CONSTRAINT "Sample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lab" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "department" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "allowedToTestJson" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lab_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Enrolment" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'invited',
    "enrolledAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "submittedAt" TIMESTAMP(3),
    "lockedAt" TIMESTAMP(3),
    "correctionUntil" TIMESTAMP(3),
    "nonParticipationReason" TEXT,
    "nonParticipationAt" TIMESTAMP(3),

    CONSTRAINT "Enrolment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Result" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER NOT NULL,
    "sampleId" INTEGER NOT NULL,
    "analyteCode" TEXT NOT NULL,
    "valueJson" TEXT NOT NULL,
    "instrument" TEXT,
    "reagent" TEXT,
    "method" TEXT,
    "enteredAt" TIMESTAMP(3) NOT NULL,
    "enteredBy" TEXT NOT NULL,

    CONSTRAINT "Result_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UnlockRequest" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "requestedBy" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),
    "note" TEXT,

    CONSTRAINT "UnlockRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "roundCode" TEXT,
    "labCode" TEXT,
    "detailsJson" TEXT NOT NULL,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "schemeJson" TEXT NOT NULL,
    "resultJson" TEXT NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL,
    "computedBy" TEXT NOT NULL,

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SchemeOverride" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "analyteCode" TEXT NOT NULL,
    "schemeJson" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SchemeOverride_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EvaluationRequest" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "error" TEXT,

    CONSTRAINT "EvaluationRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Document" (
    "id" TEXT NOT NULL,
    "roundId" INTEGER NOT NULL,
    "labId" INTEGER,
    "kind" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "evaluationVersion" INTEGER,
    "sm3" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "certId" TEXT,
    "subject" TEXT,
    "validFrom" TIMESTAMP(3),
    "validUntil" TIMESTAMP(3),
    "status" TEXT NOT NULL DEFAULT 'pending',
    "txHash" TEXT,
    "blockNumber" INTEGER,
    "issuedAt" TIMESTAMP(3),
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Document_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Recognition" (
    "id" SERIAL NOT NULL,
    "labId" INTEGER NOT NULL,
    "analyteCode" TEXT NOT NULL,
    "roundId" INTEGER NOT NULL,
    "documentId" TEXT NOT NULL,
    "validFrom" TIMESTAMP(3) NOT NULL,
    "validUntil" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Recognition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LabEvaluation" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "labCode" TEXT NOT NULL,
    "json" TEXT NOT NULL,

    CONSTRAINT "LabEvaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HomogeneityStudy" (
    "id" SERIAL NOT NULL,
    "roundId" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "inputJson" TEXT NOT NULL,
    "resultJson" TEXT NOT NULL,
    "documentId" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HomogeneityStudy_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "PlanAnalyte" ADD CONSTRAINT "PlanAnalyte_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Round" ADD CONSTRAINT "Round_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sample" ADD CONSTRAINT "Sample_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Enrolment" ADD CONSTRAINT "Enrolment_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Enrolment" ADD CONSTRAINT "Enrolment_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Result" ADD CONSTRAINT "Result_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Result" ADD CONSTRAINT "Result_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Result" ADD CONSTRAINT "Result_sampleId_fkey" FOREIGN KEY ("sampleId") REFERENCES "Sample"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UnlockRequest" ADD CONSTRAINT "UnlockRequest_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UnlockRequest" ADD CONSTRAINT "UnlockRequest_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Evaluation" ADD CONSTRAINT "Evaluation_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SchemeOverride" ADD CONSTRAINT "SchemeOverride_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EvaluationRequest" ADD CONSTRAINT "EvaluationRequest_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recognition" ADD CONSTRAINT "Recognition_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recognition" ADD CONSTRAINT "Recognition_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recognition" ADD CONSTRAINT "Recognition_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabEvaluation" ADD CONSTRAINT "LabEvaluation_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HomogeneityStudy" ADD CONSTRAINT "HomogeneityStudy_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
