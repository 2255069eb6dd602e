// The local broker's server.properties. Clients (and the broker itself, inter-broker) use the
// CLIENT listener with SCRAM-SHA-512; the controller listener, on loopback, uses PLAIN with a
// user of its own, since KRaft controllers cannot use SCRAM (its credentials live in the very
// metadata they serve). Only the admin and the controller are super users.
import type { KafkaCredential } from '../../lib/kafka/credentials';

export const CONTROLLER_USER = 'lastmile-controller';

export interface BrokerPropertiesOptions {
  port: number;
  controllerPort: number;
  /** This node's id, and every node's controller port by id (a cluster); by default node 1 alone. */
  nodeId?: number;
  voters?: { id: number; controllerPort: number }[];
  dataDir: string;
  admin: KafkaCredential;
  controllerPassword: string;
  /**
   * A listener without SASL whose anonymous user is a super user: only for the one start that
   * adds SCRAM users to a store formatted without them.
   */
  setupPort?: number;
}

const scramJaas = ({ username, password }: KafkaCredential) =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;

export function brokerProperties(o: BrokerPropertiesOptions): string {
  const setup = o.setupPort !== undefined;
  const voters = o.voters ?? [{ id: 1, controllerPort: o.controllerPort }];
  // with three nodes or more: three replicas, two of them in sync for a write (acks=all) to
  // be taken, so one node may be lost without losing an acknowledged record or availability
  const replicas = Math.min(3, voters.length);
  const inSync = Math.min(2, replicas);
  const listeners = [`CLIENT://127.0.0.1:${o.port}`, `CONTROLLER://127.0.0.1:${o.controllerPort}`, ...(setup ? [`SETUP://127.0.0.1:${o.setupPort}`] : [])];
  const superUsers = [`User:${o.admin.username}`, `User:${CONTROLLER_USER}`, ...(setup ? ['User:ANONYMOUS'] : [])];
  return [
    'process.roles=broker,controller',
    `node.id=${o.nodeId ?? 1}`,
    `controller.quorum.voters=${voters.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(',')}`,
    `listeners=${listeners.join(',')}`,
    `advertised.listeners=CLIENT://127.0.0.1:${o.port}${setup ? `,SETUP://127.0.0.1:${o.setupPort}` : ''}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT${setup ? ',SETUP:PLAINTEXT' : ''}`,
    'inter.broker.listener.name=CLIENT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.client.scram-sha-512.sasl.jaas.config=${scramJaas(o.admin)}`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${CONTROLLER_USER}" password="${o.controllerPassword}" user_${CONTROLLER_USER}="${o.controllerPassword}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=${superUsers.join(';')}`,
    `log.dirs=${o.dataDir}`,
    'num.partitions=1',
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${inSync}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${inSync}`,
    // a replica that is not in sync never becomes leader: no acknowledged record is lost
    'unclean.leader.election.enable=false',
    // a node that stops heartbeating is fenced (its partitions led elsewhere) after 3 s, not 9
    'broker.heartbeat.interval.ms=1000',
    'broker.session.timeout.ms=3000',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.check.interval.ms=60000',
    '',
  ].join('\n');
}

/** For Kafka's command-line tools (--command-config): sign in as `user`. */
export function clientProperties(user: KafkaCredential): string {
  return ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=${scramJaas(user)}`, ''].join('\n');
}
