import { describe, expect, it } from 'vitest';
import { brokerProperties } from './kafka-properties';

const base = { port: 9092, controllerPort: 9093, dataDir: '/data', admin: { username: 'lastmile-admin', password: 'pw' }, controllerPassword: 'cpw' };
const props = (text: string) => new Map(text.split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));

describe('the local broker properties', () => {
  it('takes clients only with SCRAM and denies whatever no ACL allows', () => {
    const p = props(brokerProperties(base));
    expect(p.get('listener.security.protocol.map')).toBe('CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT');
    expect(p.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(p.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(p.get('allow.everyone.if.no.acl.found')).toBe('false');
    expect(p.get('super.users')).toBe('User:lastmile-admin;User:lastmile-controller');
  });

  it('opens an anonymous super-user listener only for the start that adds users', () => {
    const p = props(brokerProperties({ ...base, setupPort: 9999 }));
    expect(p.get('listeners')).toContain('SETUP://127.0.0.1:9999');
    expect(p.get('listener.security.protocol.map')).toContain('SETUP:PLAINTEXT');
    expect(p.get('super.users')).toContain('User:ANONYMOUS');
    expect(brokerProperties(base)).not.toContain('SETUP');
  });

  it('makes a three-node cluster keep three replicas, two in sync for a write; one node keeps one', () => {
    const voters = [1, 2, 3].map((id) => ({ id, controllerPort: 9091 + 2 * id }));
    const p = props(brokerProperties({ ...base, nodeId: 2, port: 9094, controllerPort: 9095, voters }));
    expect(p.get('node.id')).toBe('2');
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097');
    expect([p.get('default.replication.factor'), p.get('min.insync.replicas'), p.get('offsets.topic.replication.factor')]).toEqual(['3', '2', '3']);
    expect(p.get('unclean.leader.election.enable')).toBe('false');
    const one = props(brokerProperties(base));
    expect([one.get('node.id'), one.get('controller.quorum.voters'), one.get('default.replication.factor'), one.get('min.insync.replicas')]).toEqual(['1', '1@127.0.0.1:9093', '1', '1']);
  });
});
