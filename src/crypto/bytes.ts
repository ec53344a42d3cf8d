import { timingSafeEqual } from 'node:crypto';

/**
 * A canonical, unambiguous binary encoding of a list of fields: each field is a 4-byte big-endian
 * length followed by its UTF-8 bytes, after a domain tag encoded the same way. Unlike joining with
 * a separator, no two different lists encode to the same bytes, whatever the fields contain.
 *
 * Written straight into one buffer (`Buffer.byteLength`, `write`): every opened resource body
 * builds one of these as its associated data, and a TextEncoder array per field cost several
 * times the AES-GCM work on a typical body.
 */
export function lengthPrefixed(domain: string, fields: readonly (string | number)[]): Buffer {
  const texts = [domain];
  for (const f of fields) texts.push(typeof f === 'number' ? String(f) : f);
  let size = 0;
  for (const t of texts) size += 4 + Buffer.byteLength(t, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const t of texts) {
    const length = out.write(t, offset + 4, 'utf8');
    out.writeUInt32BE(length, offset);
    offset += 4 + length;
  }
  return out;
}

/** Parses 32 key bytes given as 64 hex digits or as base64 / base64url; undefined otherwise. */
export function parseKey32(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return undefined;
}

export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && timingSafeEqual(a, b);

/** RFC 4648 base64url without padding. */
export const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
