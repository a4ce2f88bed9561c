-- services/his migration 0003_empi (postgresql), written by scripts/prisma.ts
-- AlterTable
ALTER TABLE "CodeMappingDecision" DROP COLUMN "decision",
DROP COLUMN "localName",
DROP COLUMN "localUnit",
DROP COLUMN "note",
ADD COLUMN     "decisionJson" TEXT NOT NULL;

-- CreateIndex
CREATE INDEX "EmpiReview_candidatePersonId_idx" ON "EmpiReview"("candidatePersonId");
