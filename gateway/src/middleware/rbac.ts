// Role-based access control, configured in gateway/config/rbac.json (permission → roles), deny by
// default: a permission not in the file allows nobody, and a route naming a permission the file
// does not define makes the gateway refuse to start (`checkPermissionsDefined`). Ownership —
// a resident sees only their own things, staff only their institution's unless auditor or admin —
// is checked in the handlers with the helpers below, since it depends on the resource.
import { readFileSync } from "node:fs";
import type { MiddlewareHandler } from "hono";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";
import { platformError } from "@health-chain/sdk";
import { ROLES, type GatewayEnv, type Principal, type Role } from "../context.ts";
import { principalOf } from "./auth.ts";

const rbacFileSchema = z
  .object({
    $comment: z.string().optional(),
    permissions: z.record(z.string().regex(/^[a-z-]+:[a-z-]+$/, "resource:action"), z.array(z.enum(ROLES))),
  })
  .strict();

/** The loaded RBAC table. */
export interface Rbac {
  /** The roles a permission allows (empty when the permission is unknown: deny by default). */
  rolesOf(permission: string): readonly Role[];
  allows(roles: readonly Role[], permission: string): boolean;
  has(permission: string): boolean;
  /** Every permission and its roles, for docs and tests. */
  readonly table: Readonly<Record<string, readonly Role[]>>;
}

export function createRbac(table: Record<string, readonly Role[]>): Rbac {
  const sets = new Map(Object.entries(table).map(([p, roles]) => [p, new Set(roles)]));
  return {
    rolesOf: (permission) => table[permission] ?? [],
    allows: (roles, permission) => {
      const allowed = sets.get(permission);
      return allowed !== undefined && roles.some((r) => allowed.has(r));
    },
    has: (permission) => sets.has(permission),
    table,
  };
}

/** Reads and checks an RBAC file. */
export function loadRbac(file: string): Rbac {
  let parsed: z.infer<typeof rbacFileSchema>;
  try {
    parsed = rbacFileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `The RBAC file ${file} is not valid: ${(cause as Error).message}`,
      messageZh: `权限配置文件 ${file} 无效。`,
      details: { file },
      cause,
    });
  }
  return createRbac(parsed.permissions);
}

const usedPermissions = new Set<string>();

/** Every permission a route asked for so far (`requirePermission` records them). */
export function permissionsInUse(): ReadonlySet<string> {
  return usedPermissions;
}

/** Throws when a route uses a permission the RBAC file does not define (checked at start). */
export function checkPermissionsDefined(rbac: Rbac, permissions: ReadonlySet<string> = usedPermissions): void {
  const missing = [...permissions].filter((p) => !rbac.has(p));
  if (missing.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `The RBAC file does not define the permissions ${missing.join(", ")} that routes use.`,
      messageZh: `权限配置文件缺少路由使用的权限：${missing.join("、")}。`,
      details: { missing },
    });
  }
}

/** 401 UNAUTHENTICATED without a session; 403 ROLE_REQUIRED when none of the principal's roles has `permission`. */
export function requirePermission(permission: string): MiddlewareHandler<GatewayEnv> {
  usedPermissions.add(permission);
  return async (c, next) => {
    const principal = principalOf(c);
    const rbac = c.get("rbac");
    if (!rbac.allows(principal.roles, permission)) {
      throw platformError("ROLE_REQUIRED", {
        details: { permission, roles: principal.roles, allowedRoles: rbac.rolesOf(permission) },
      });
    }
    await next();
  };
}

/** Whether the principal has one of the roles. */
export function hasRole(principal: Principal, ...roles: Role[]): boolean {
  return principal.roles.some((r) => roles.includes(r));
}

/** Whether the principal may see every institution's data (auditor, admin). */
export function seesAllInstitutions(principal: Principal): boolean {
  return hasRole(principal, "auditor", "admin");
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** FORBIDDEN unless the principal is the resident `wallet` (residents see only their own things). */
export function assertResidentSelf(principal: Principal, wallet: string): void {
  if (principal.kind !== "resident" || principal.wallet === undefined || !same(principal.wallet, wallet)) {
    throw platformError("FORBIDDEN", {
      message: "A resident sees only their own data.",
      messageZh: "居民只能查看自己的数据。",
      details: { reason: "not-own-resident" },
    });
  }
}

/** FORBIDDEN unless the principal acts for `institution`, or is an auditor or admin. */
export function assertInstitutionAccess(principal: Principal, institution: string): void {
  if (seesAllInstitutions(principal)) return;
  if (principal.institution !== undefined && same(principal.institution, institution)) return;
  throw platformError("FORBIDDEN", {
    message: "Staff see only their own institution's data.",
    messageZh: "工作人员只能查看本机构的数据。",
    details: { reason: "other-institution" },
  });
}

/**
 * Whether the principal may see something belonging to `owner`: a resident their own (by wallet),
 * staff their institution's, auditors and admins everything.
 */
export function canSee(principal: Principal, owner: { resident?: string; institution?: string }): boolean {
  if (seesAllInstitutions(principal)) return true;
  if (principal.kind === "resident") return owner.resident !== undefined && principal.wallet !== undefined && same(owner.resident, principal.wallet);
  return owner.institution !== undefined && principal.institution !== undefined && same(owner.institution, principal.institution);
}

/** The institution a staff principal acts for; FORBIDDEN for residents and staff without one. */
export function institutionOf(principal: Principal): Address {
  if (principal.institution === undefined || !isAddress(principal.institution)) {
    throw platformError("FORBIDDEN", {
      message: "This operation is for staff of a member institution.",
      messageZh: "此操作仅限成员机构的工作人员。",
      details: { reason: "no-institution" },
    });
  }
  return getAddress(principal.institution);
}
