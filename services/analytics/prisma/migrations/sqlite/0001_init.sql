-- services/analytics migration 0001_init (sqlite), written by scripts/prisma.ts
-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "sponsor" TEXT NOT NULL,
    "sponsorInstitution" TEXT NOT NULL,
    "ethicsCommittee" TEXT NOT NULL,
    "ethicsApprovalNo" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'submitted',
    "reviewer" TEXT,
    "reviewReason" TEXT,
    "reviewedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ScreeningRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sponsor" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "projectId" TEXT,
    "status" TEXT NOT NULL,
    "json" TEXT NOT NULL,
    "submittedAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RequestHistory" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "requestId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "json" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "ExportRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "reviewedAt" DATETIME,
    "reportJson" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ExportPackage" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "anchoredAt" DATETIME,
    "revokedMembers" INTEGER NOT NULL DEFAULT 0,
    "markedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "PackageMember" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "packageId" TEXT NOT NULL,
    "residentRef" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "grantIdsJson" TEXT NOT NULL,
    CONSTRAINT "PackageMember_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "ExportPackage" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PackageMark" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "packageId" TEXT NOT NULL,
    "resident" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "revokedAt" DATETIME NOT NULL,
    "txHash" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PackageMark_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "ExportPackage" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Download" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "packageId" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "requestId" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Download_packageId_fkey" FOREIGN KEY ("packageId") REFERENCES "ExportPackage" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "UsageEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "institution" TEXT NOT NULL,
    "department" TEXT,
    "person" TEXT NOT NULL,
    "requestId" TEXT
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
