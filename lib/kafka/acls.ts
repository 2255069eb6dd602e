// ACLs as code, like the topics: brought in line with lib/kafka/principals.ts at every start,
// by the admin. Creating an ACL that exists is a no-op on the broker, so this is idempotent.
import type { AclEntry, Admin } from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from './acl-types';
import { type AclNames, KAFKA_SERVICES, PRINCIPALS, aclChanges } from './principals';

export class NoAuthorizerError extends Error {
  override name = 'NoAuthorizerError';
}

async function ourUsersAcls(admin: Admin): Promise<AclEntry[]> {
  const described = await Promise.all(
    KAFKA_SERVICES.map((service) =>
      admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: `User:${PRINCIPALS[service].user}`,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      }),
    ),
  );
  return described.flatMap(({ resources }) =>
    resources.flatMap(({ acls, ...resource }) => acls.map((acl) => ({ ...resource, ...acl }))),
  );
}

/** Grants what the table says on these names and revokes what it no longer says. */
export async function ensureAcls(admin: Admin, names: AclNames): Promise<{ created: number; revoked: number }> {
  let existing: AclEntry[];
  try {
    existing = await ourUsersAcls(admin);
  } catch (err) {
    // a broker without an authorizer answers SECURITY_DISABLED: there is nothing to grant
    if ((err as { type?: string }).type === 'SECURITY_DISABLED') throw new NoAuthorizerError('the broker has no authorizer (authorizer.class.name): ACLs cannot be set');
    throw err;
  }
  const { create, revoke } = aclChanges(existing, names);
  if (create.length > 0) await admin.createAcls({ acl: create });
  if (revoke.length > 0) await admin.deleteAcls({ filters: revoke });
  if (create.length + revoke.length > 0) await untilApplied(admin, names);
  return { created: create.length, revoked: revoke.length };
}

// The controller acknowledges a change before the brokers' authorizers have applied it from
// the metadata log: a client that signs in just after would still be refused. Waits until
// the broker answering describes the table (each broker applies within milliseconds).
async function untilApplied(admin: Admin, names: AclNames, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { create, revoke } = aclChanges(await ourUsersAcls(admin), names);
    if (create.length + revoke.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the broker did not apply ${create.length + revoke.length} ACL change(s) within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
