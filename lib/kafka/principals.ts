// Who may do what on Kafka: one SCRAM user per service, granted only what its code does,
// and the ACLs that follow from this table. The operator's tools (setup, stats:rebuild, the
// activity loader, benchmarks, tests' own clients) sign in as the admin, a super user.
import type { AclEntry } from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from './acl-types';
import { type TopicId, topicNames } from './topics';

export const KAFKA_ADMIN_USER = 'lastmile-admin';

interface Principal {
  user: string;
  /** Topics it produces to (WRITE; an idempotent producer needs nothing more since Kafka 3.0). */
  writes: readonly TopicId[];
  /** Topics it consumes (READ). */
  reads: readonly TopicId[];
  /** Topics whose end offsets it only looks at (DESCRIBE). */
  describes: readonly TopicId[];
  /** Consumer groups it joins, named `${WORKER_GROUP_PREFIX}.<name>` as in workers/*-worker.ts. */
  groups: readonly string[];
}

export const PRINCIPALS = {
  // the ingest API; its readiness check (describeCluster) needs no grant
  server: { user: 'lastmile-server', writes: ['courierLocations', 'orderEvents', 'userActivity'], reads: [], describes: [], groups: [] },
  location: { user: 'lastmile-location', writes: ['deadLetters'], reads: ['courierLocations'], describes: [], groups: ['location'] },
  orders: { user: 'lastmile-orders', writes: ['deadLetters'], reads: ['orderEvents'], describes: [], groups: ['orders'] },
  // emits windows to stats.unique-users; samples the other event topics' end offsets (lib/stats/sample-ingest.ts)
  activity: {
    user: 'lastmile-activity',
    writes: ['deadLetters', 'uniqueUsers'],
    reads: ['userActivity'],
    describes: ['courierLocations', 'orderEvents'],
    groups: ['activity'],
  },
  // the lake (workers/archive-worker.ts): reads every event topic and the dead letters
  archive: {
    user: 'lastmile-archive',
    writes: [],
    reads: ['courierLocations', 'orderEvents', 'userActivity', 'deadLetters'],
    describes: [],
    groups: ['archive'],
  },
} as const satisfies Record<string, Principal>;

export type KafkaService = keyof typeof PRINCIPALS;
/** Whom a process signs in as: its service's user, or the admin. */
export type KafkaIdentity = KafkaService | 'admin';

export const KAFKA_SERVICES = Object.keys(PRINCIPALS) as KafkaService[];
export const KAFKA_IDENTITIES: KafkaIdentity[] = ['admin', ...KAFKA_SERVICES];

export const kafkaUserName = (identity: KafkaIdentity): string => (identity === 'admin' ? KAFKA_ADMIN_USER : PRINCIPALS[identity].user);

export interface AclNames {
  topicPrefix: string;
  groupPrefix: string;
}

/** Every ACL the table grants, on the exact (LITERAL) topic and group names of one deployment. */
export function kafkaAcls({ topicPrefix, groupPrefix }: AclNames): AclEntry[] {
  const topics = topicNames(topicPrefix);
  return KAFKA_SERVICES.flatMap((service) => {
    const p: Principal = PRINCIPALS[service];
    const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes): AclEntry => ({
      resourceType,
      resourceName,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: `User:${p.user}`,
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    return [
      ...p.writes.map((t) => allow(AclResourceTypes.TOPIC, topics[t], AclOperationTypes.WRITE)),
      ...p.reads.map((t) => allow(AclResourceTypes.TOPIC, topics[t], AclOperationTypes.READ)),
      ...p.describes.map((t) => allow(AclResourceTypes.TOPIC, topics[t], AclOperationTypes.DESCRIBE)),
      ...p.groups.map((g) => allow(AclResourceTypes.GROUP, `${groupPrefix}.${g}`, AclOperationTypes.READ)),
    ];
  });
}

const aclKey = (a: AclEntry) => [a.resourceType, a.resourceName, a.resourcePatternType, a.principal, a.host, a.operation, a.permissionType].join('|');

/**
 * The ACLs to create and to delete to make `existing` (our users' ACLs on the broker) match the
 * table for these names. Only ACLs on this deployment's own topic and group names are revoked:
 * another deployment sharing the cluster under another prefix keeps its grants.
 */
export function aclChanges(existing: AclEntry[], names: AclNames): { create: AclEntry[]; revoke: AclEntry[] } {
  const wanted = kafkaAcls(names);
  const wantedKeys = new Set(wanted.map(aclKey));
  const existingKeys = new Set(existing.map(aclKey));
  const topics = new Set(Object.values(topicNames(names.topicPrefix)));
  const groups = new Set(KAFKA_SERVICES.flatMap((s) => PRINCIPALS[s].groups.map((g) => `${names.groupPrefix}.${g}`)));
  const ours = (a: AclEntry) =>
    a.resourcePatternType === ResourcePatternTypes.LITERAL &&
    ((a.resourceType === AclResourceTypes.TOPIC && topics.has(a.resourceName)) || (a.resourceType === AclResourceTypes.GROUP && groups.has(a.resourceName)));
  return {
    create: wanted.filter((a) => !existingKeys.has(aclKey(a))),
    revoke: existing.filter((a) => ours(a) && !wantedKeys.has(aclKey(a))),
  };
}
