-- services/analytics migration 0001_init (postgresql), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "sponsor" TEXT NOT NULL,
    "sponsorInstitution" TEXT NOT NULL,
    "ethicsCommittee" TEXT NOT NULL,
    "ethicsApprovalNo" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'submitted',
    "reviewer" TEXT,
    "reviewReason" TEXT,
    "reviewedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScreeningRequest" (
    "id" TEXT NOT NULL,
    "sponsor" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "projectId" TEXT,
    "status" TEXT NOT NULL,
    "json" TEXT NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScreeningRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestHistory" (
    "seq" SERIAL NOT NULL,
    "requestId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "json" TEXT NOT NULL,

    CONSTRAINT "RequestHistory_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "ExportRequest" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "k" INTEGER NOT NULL DEFAULT 5,
    "onKFailure" TEXT NOT NULL DEFAULT 'refuse',
    "purpose" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'requested',
    "reviewer" TEXT,
    "reviewReason" TEXT,
    "reviewedAt" TIMESTAMP(3),
    "reportJson" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExportRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExportPackage" (
    "id" TEXT NOT NULL,
    "exportId" TEXT NOT NULL,
    "packageHash" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "records" INTEGER NOT NULL,
    "residents" INTEGER NOT NULL,
    "policyName" TEXT NOT NULL,
    "policyVersion" INTEGER NOT NULL,
    "policyHash" TEXT NOT NULL,
    "storeInstitution" TEXT NOT NULL,
    "cid" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "wrappedDataKey" TEXT NOT NULL,
    "certId" TEXT NOT NULL,
    "anchorState" TEXT NOT NULL DEFAULT 'pending',
    "anchorAttempts" INTEGER NOT NULL DEFAULT 0,
    "anchorError" TEXT,
    "txHash" TEXT,
    "blockNumber" INTEGER,
    "anchoredAt" TIMESTAMP(3),
    "revokedMembers" INTEGER NOT NULL DEFAULT 0,
    "markedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExportPackage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PackageMember" (
    "id" SERIAL NOT NULL,
    "packageId" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "grantIdsJson" TEXT NOT NULL,

    CONSTRAINT "PackageMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PackageMark" (
    "id" SERIAL NOT NULL,
    "packageId" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "revokedAt" TIMESTAMP(3) NOT NULL,
    "txHash" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PackageMark_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Download" (
    "id" SERIAL NOT NULL,
    "packageId" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "requestId" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Download_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageEvent" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "department" TEXT,
    "person" TEXT NOT NULL,
    "requestId" TEXT,

    CONSTRAINT "UsageEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Project_code_key" ON "Project"("code");

-- CreateIndex
CREATE INDEX "ScreeningRequest_sponsor_idx" ON "ScreeningRequest"("sponsor");

-- CreateIndex
CREATE INDEX "ScreeningRequest_status_idx" ON "ScreeningRequest"("status");

-- CreateIndex
CREATE INDEX "RequestHistory_requestId_idx" ON "RequestHistory"("requestId");

-- CreateIndex
CREATE INDEX "ExportRequest_requestId_idx" ON "ExportRequest"("requestId");

-- CreateIndex
CREATE INDEX "ExportRequest_status_idx" ON "ExportRequest"("status");

-- CreateIndex
CREATE UNIQUE INDEX "ExportPackage_exportId_key" ON "ExportPackage"("exportId");

-- CreateIndex
CREATE INDEX "ExportPackage_anchorState_anchorAttempts_idx" ON "ExportPackage"("anchorState", "anchorAttempts");

-- CreateIndex
CREATE INDEX "PackageMember_resident_idx" ON "PackageMember"("resident");

-- CreateIndex
CREATE UNIQUE INDEX "PackageMember_packageId_residentRef_key" ON "PackageMember"("packageId", "residentRef");

-- CreateIndex
CREATE UNIQUE INDEX "PackageMark_packageId_grantId_key" ON "PackageMark"("packageId", "grantId");

-- CreateIndex
CREATE INDEX "Download_packageId_idx" ON "Download"("packageId");

-- CreateIndex
CREATE INDEX "UsageEvent_at_idx" ON "UsageEvent"("at");

-- AddForeignKey
ALTER TABLE "PackageMember" ADD CONSTRAINT "PackageMember_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "ExportPackage"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PackageMark" ADD CONSTRAINT "PackageMark_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "ExportPackage"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Download" ADD CONSTRAINT "Download_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "ExportPackage"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
