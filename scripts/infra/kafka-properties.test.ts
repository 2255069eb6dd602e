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
});
