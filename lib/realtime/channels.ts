import type { TopicNames } from '../kafka/topics';

/** Redis pub/sub channel the location worker announces applied positions on. */
export const positionsChannel = (topics: TopicNames) => `live:${topics.courierLocations}`;
