export type { Brand } from './brand.js';
export * from './ids.js';
export { randomBytesPooled } from './random.js';
export { LruCache } from './lru.js';
export * from './clock.js';
export * from './canonical-json.js';
export * from './result.js';
export * from './errors.js';
export * from './resident-id.js';
