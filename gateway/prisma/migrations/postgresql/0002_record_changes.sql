-- gateway migration 0002_record_changes (postgresql), written by scripts/prisma.ts
-- AlterTable
ALTER TABLE "Original" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "voidedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "RecordReservation" ADD COLUMN     "chainVersion" INTEGER,
ADD COLUMN     "purpose" TEXT NOT NULL DEFAULT 'anchor';

-- CreateTable
CREATE TABLE "RecordVersion" (
    "id" SERIAL NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RecordVersion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RecordVersion_batchId_idx" ON "RecordVersion"("batchId");

-- CreateIndex
CREATE INDEX "RecordVersion_recordId_idx" ON "RecordVersion"("recordId");

-- CreateIndex
CREATE INDEX "RecordVersion_newResidentRef_idx" ON "RecordVersion"("newResidentRef");

-- CreateIndex
CREATE UNIQUE INDEX "RecordVersion_institution_recordId_version_key" ON "RecordVersion"("institution", "recordId", "version");
