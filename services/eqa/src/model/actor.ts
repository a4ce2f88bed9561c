// The acting staff member (or lab user) of a change, as the gateway identified them.
import { platformError } from "@health-chain/sdk";

export function checkActor(actor: unknown): string {
  if (typeof actor !== "string" || actor.trim() === "" || actor.length > 200) {
    throw platformError("INVALID_INPUT", {
      message: "The actor (who makes the change) is required: a staff or user id of at most 200 characters.",
      messageZh: "必须给出操作人（员工或用户标识，最多 200 个字符）。",
      details: { field: "actor" },
    });
  }
  return actor.trim();
}
