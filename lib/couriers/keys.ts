// Redis keys of the location hot state.
export const courierLocationKey = (courierId: string) => `courier:loc:${courierId}`;
export const orderLocationKey = (orderId: string) => `order:loc:${orderId}`;
/** GEO set of every courier's last position, for viewport queries. */
export const COURIERS_GEO_KEY = 'couriers:geo';
