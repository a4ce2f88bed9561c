-- gateway migration 0003_anchor_mode (postgresql), written by scripts/prisma.ts
-- AlterTable
ALTER TABLE "IndexEntry" ADD COLUMN     "anchorMode" TEXT NOT NULL DEFAULT 'clear-hash';

-- AlterTable
ALTER TABLE "Original" ADD COLUMN     "anchorMode" TEXT NOT NULL DEFAULT 'clear-hash';

-- AlterTable
ALTER TABLE "RecordVersion" ADD COLUMN     "anchorMode" TEXT NOT NULL DEFAULT 'clear-hash';
