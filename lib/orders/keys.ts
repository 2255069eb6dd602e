/** Redis key of an order's cached status. */
export const orderStatusKey = (orderId: string) => `order:status:${orderId}`;
