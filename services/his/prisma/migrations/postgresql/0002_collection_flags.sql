-- services/his migration 0002_collection_flags (postgresql), written by scripts/prisma.ts
-- AlterTable
ALTER TABLE "CollectionTask" ADD COLUMN     "runRequestedAt" TIMESTAMP(3),
ADD COLUMN     "runRequestedBy" TEXT;

-- AlterTable
ALTER TABLE "CollectionRun" ADD COLUMN     "filtered" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "skipped" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "QuarantineItem" ADD COLUMN     "replayRequestedAt" TIMESTAMP(3),
ADD COLUMN     "replayRequestedBy" TEXT,
ADD COLUMN     "resolutionNote" TEXT;

-- AlterTable
ALTER TABLE "CollectedRecord" ADD COLUMN     "fieldsJson" TEXT NOT NULL;

-- AlterTable
ALTER TABLE "EmpiIdentity" ALTER COLUMN "linkScore" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "EmpiEvent_otherPersonId_idx" ON "EmpiEvent"("otherPersonId");
