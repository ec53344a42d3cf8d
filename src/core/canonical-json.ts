import canonicalize from 'canonicalize';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The JSON Canonicalization Scheme (RFC 8785): one byte sequence per value, so that hashes and
 * signatures over JSON agree between institutions whatever their serializers do.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}
