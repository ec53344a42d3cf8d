import type { Brand } from './brand.js';
import { randomBytesPooled } from './random.js';

export type TenantId = Brand<string, 'TenantId'>;
export type OrgId = Brand<string, 'OrgId'>;
export type UserId = Brand<string, 'UserId'>;
export type RequestId = Brand<string, 'RequestId'>;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A UUID version 7 (RFC 9562): time-ordered, so new rows land at the end of B-tree indexes
 * instead of scattering across them as random UUIDs do.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomBytesPooled(16);
  // 48 bits of milliseconds, big-endian (a double holds them exactly).
  for (let i = 5, ms = Math.floor(nowMs); i >= 0; i--, ms = Math.floor(ms / 256)) bytes[i] = ms % 256;
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export const newOrgId = (): OrgId => uuidv7() as OrgId;
export const newUserId = (): UserId => uuidv7() as UserId;
export const newRequestId = (): RequestId => uuidv7() as RequestId;
