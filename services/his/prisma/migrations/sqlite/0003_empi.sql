-- services/his migration 0003_empi (sqlite), written by scripts/prisma.ts
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_CodeMappingDecision" (
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
INSERT INTO "new_CodeMappingDecision" ("createdAt", "decidedBy", "dictionary", "id", "institution", "localCode", "standardCode", "version") SELECT "createdAt", "decidedBy", "dictionary", "id", "institution", "localCode", "standardCode", "version" FROM "CodeMappingDecision";
DROP TABLE "CodeMappingDecision";
ALTER TABLE "new_CodeMappingDecision" RENAME TO "CodeMappingDecision";
CREATE UNIQUE INDEX "CodeMappingDecision_dictionary_institution_localCode_version_key" ON "CodeMappingDecision"("dictionary", "institution", "localCode", "version");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "EmpiReview_candidatePersonId_idx" ON "EmpiReview"("candidatePersonId");
