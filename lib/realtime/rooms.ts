// socket.io room names, shared by the handlers that join them and the fan-outs that emit to them.
export const opsRoom = 'ops';
export const statsRoom = 'stats';
export const orderRoom = (orderId: string) => `order:${orderId}`;
