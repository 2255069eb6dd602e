import type { AclEntry } from 'kafkajs';
import { AclOperationTypes as Op, AclPermissionTypes, AclResourceTypes as Res, ResourcePatternTypes } from './acl-types';
import { describe, expect, it } from 'vitest';
import { KAFKA_SERVICES, PRINCIPALS, aclChanges, kafkaAcls, kafkaUserName } from './principals';

const names = { topicPrefix: 'dev.', groupPrefix: 'dev.group' };
// kafkajs's enums are plain objects at run time, without TypeScript's reverse mapping
const nameOf = (values: object, value: number) => Object.entries(values).find(([, v]) => v === value)?.[0];
/** Each ACL as "User:x OPERATION resource-type:name", to compare with a list a reader can check. */
const grants = (acls: AclEntry[]) => acls.map((a) => `${a.principal} ${nameOf(Op, a.operation)} ${nameOf(Res, a.resourceType)}:${a.resourceName}`).sort();

describe('Kafka principals', () => {
  it('grants each service exactly what its code does, on the prefixed names', () => {
    expect(grants(kafkaAcls(names))).toEqual(
      [
        'User:lastmile-server WRITE TOPIC:dev.courier.locations',
        'User:lastmile-server WRITE TOPIC:dev.order.events',
        'User:lastmile-server WRITE TOPIC:dev.user.activity',
        'User:lastmile-location READ TOPIC:dev.courier.locations',
        'User:lastmile-location WRITE TOPIC:dev.lastmile.dlq',
        'User:lastmile-location READ GROUP:dev.group.location',
        'User:lastmile-orders READ TOPIC:dev.order.events',
        'User:lastmile-orders WRITE TOPIC:dev.lastmile.dlq',
        'User:lastmile-orders READ GROUP:dev.group.orders',
        'User:lastmile-activity READ TOPIC:dev.user.activity',
        'User:lastmile-activity WRITE TOPIC:dev.lastmile.dlq',
        'User:lastmile-activity WRITE TOPIC:dev.stats.unique-users',
        'User:lastmile-activity DESCRIBE TOPIC:dev.courier.locations',
        'User:lastmile-activity DESCRIBE TOPIC:dev.order.events',
        'User:lastmile-activity READ GROUP:dev.group.activity',
        'User:lastmile-archive READ TOPIC:dev.courier.locations',
        'User:lastmile-archive READ TOPIC:dev.order.events',
        'User:lastmile-archive READ TOPIC:dev.user.activity',
        'User:lastmile-archive READ TOPIC:dev.lastmile.dlq',
        'User:lastmile-archive READ GROUP:dev.group.archive',
      ].sort(),
    );
  });

  it('grants only ALLOW entries on exact names, from any host, and nothing on the cluster', () => {
    for (const acl of kafkaAcls(names)) {
      expect(acl).toMatchObject({ resourcePatternType: ResourcePatternTypes.LITERAL, permissionType: AclPermissionTypes.ALLOW, host: '*' });
      expect([Res.TOPIC, Res.GROUP]).toContain(acl.resourceType);
    }
  });

  it('lets only the server write the ingest topics', () => {
    const ingest = ['courierLocations', 'orderEvents', 'userActivity'];
    for (const service of KAFKA_SERVICES) {
      const writesIngest = (PRINCIPALS[service].writes as readonly string[]).some((t) => ingest.includes(t));
      expect(writesIngest, service).toBe(service === 'server');
    }
  });

  it('gives every identity its own user name', () => {
    const users = ['admin' as const, ...KAFKA_SERVICES].map(kafkaUserName);
    expect(new Set(users).size).toBe(users.length);
    expect(kafkaUserName('admin')).toBe('lastmile-admin');
  });
});

describe('aclChanges', () => {
  const wanted = kafkaAcls(names);
  const allow = (principal: string, resourceType: Res, resourceName: string, operation: Op, resourcePatternType = ResourcePatternTypes.LITERAL): AclEntry => ({
    principal,
    resourceType,
    resourceName,
    operation,
    resourcePatternType,
    host: '*',
    permissionType: AclPermissionTypes.ALLOW,
  });

  it('creates every ACL on a broker that has none, and nothing once they are there', () => {
    expect(aclChanges([], names)).toEqual({ create: wanted, revoke: [] });
    expect(aclChanges(wanted, names)).toEqual({ create: [], revoke: [] });
  });

  it('revokes a grant the table no longer makes on its own names', () => {
    const stale = allow('User:lastmile-location', Res.TOPIC, 'dev.user.activity', Op.READ);
    expect(aclChanges([...wanted, stale], names)).toEqual({ create: [], revoke: [stale] });
  });

  it("leaves another deployment's names and grants not on exact names alone", () => {
    const otherPrefix = allow('User:lastmile-location', Res.TOPIC, 'staging.courier.locations', Op.READ);
    const otherGroup = allow('User:lastmile-location', Res.GROUP, 'staging.group.location', Op.READ);
    const prefixed = allow('User:lastmile-server', Res.TOPIC, 'dev.', Op.DESCRIBE, ResourcePatternTypes.PREFIXED);
    expect(aclChanges([...wanted, otherPrefix, otherGroup, prefixed], names).revoke).toEqual([]);
  });
});
