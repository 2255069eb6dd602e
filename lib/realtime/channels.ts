import type { TopicNames } from '../kafka/topics';

/** Redis pub/sub channel the location worker announces applied positions on. */
export const positionsChannel = (topics: TopicNames) => `live:${topics.courierLocations}`;

/** Redis pub/sub channel the order worker announces new notifications on. */
export const notificationsChannel = (topics: TopicNames) => `live:${topics.orderEvents}`;

/** Redis pub/sub channel the activity worker announces emitted unique-users windows on. */
export const statsChannel = (topics: TopicNames) => `live:${topics.uniqueUsers}`;
