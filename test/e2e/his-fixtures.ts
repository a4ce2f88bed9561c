// The collection service's side of the end-to-end tests: decide the lab-code reviews a run opened
// as the lab's reviewer would (the synthetic generator knows each local code's true LOINC) and
// replay what waited for them.
import type { HisService } from "../../services/his/src/service.ts";
import { decideCodeReview } from "../../services/his/src/collection/index.ts";
import type { SyntheticRecord } from "../../services/his/src/synthetic/index.ts";

export async function reviewCodesAndReplay(his: HisService, taskId: string, sent: readonly SyntheticRecord[]): Promise<void> {
  const truth = new Map(sent.filter((r) => r.kind === "lab-result").map((r) => [`${r.institutionCode}|${(r.payload as { localCode: string }).localCode}`, r.truth.loinc!]));
  for (const review of await his.db.prisma.codeMappingReview.findMany({ where: { status: "open" } })) {
    await decideCodeReview(his.db.prisma, review.id, { code: truth.get(`${review.institution}|${review.localCode}`)!, reviewer: "检验科 对码员" }, (code) => his.codeMapper.entry(code) !== undefined);
  }
  const ids = (await his.db.prisma.quarantineItem.findMany({ where: { taskId, status: "open", replayRequestedAt: { not: null } }, select: { id: true } })).map((q) => q.id);
  if (ids.length > 0) await his.replay(taskId, { ids, actor: "operator" });
}
