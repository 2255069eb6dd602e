// Every event type the platform accepts: its schema per version, its topic and its key.
import defs from '../../schemas/_defs.v1.json';
import courierLocationV1 from '../../schemas/courier-location.v1.json';
import courierLocationV2 from '../../schemas/courier-location.v2.json';
import orderEventV1 from '../../schemas/order-event.v1.json';
import userActivityV1 from '../../schemas/user-activity.v1.json';
import type { TopicId } from '../kafka/topics';
import type { CourierLocationV2, OrderEventV1, UserActivityV1 } from './schema-types.generated';

export type { CourierLocationV1, CourierLocationV2, OrderEventV1, UserActivityV1 } from './schema-types.generated';

/** The shape every consumer works with: the newest version of each event. */
export type CourierLocation = CourierLocationV2;
export type OrderEvent = OrderEventV1;
export type UserActivity = UserActivityV1;

export interface EventTypeSpec {
  topic: TopicId;
  /** Field whose value is the Kafka message key: it decides the partition. */
  keyField: string;
  /** Schema file stem, e.g. "courier-location": schema ids are `${stem}.v${version}`. */
  stem: string;
  versions: Record<number, object>;
  latest: number;
}

export const EVENT_TYPES = {
  'courier.location': {
    topic: 'courierLocations',
    keyField: 'courierId',
    stem: 'courier-location',
    versions: { 1: courierLocationV1, 2: courierLocationV2 },
    latest: 2,
  },
  'order.event': { topic: 'orderEvents', keyField: 'orderId', stem: 'order-event', versions: { 1: orderEventV1 }, latest: 1 },
  'user.activity': { topic: 'userActivity', keyField: 'uid', stem: 'user-activity', versions: { 1: userActivityV1 }, latest: 1 },
} as const satisfies Record<string, EventTypeSpec>;

export type EventType = keyof typeof EVENT_TYPES;

export const SHARED_SCHEMAS = [defs];

export function schemaId(type: EventType, version: number): string {
  return `${EVENT_TYPES[type].stem}.v${version}`;
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_TYPES, value);
}
