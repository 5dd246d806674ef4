/** Entry of the network layer: `createNetworkManager(opts)` implements api.ts's NetworkManager. */
import type { NetworkManager, NetworkManagerOptions } from './api.js';
import { LocalNetworkManager } from './manager.js';

export type * from './api.js';
export { LocalNetworkManager } from './manager.js';
export { LoadBalancer } from './lb/balancer.js';

export function createNetworkManager(opts: NetworkManagerOptions): NetworkManager {
  return new LocalNetworkManager(opts);
}
