/**
 * Finds identifying strings stored in plaintext, without the false alarms a bare substring search
 * raises over ciphertext and keyed tokens.
 *
 * A 4-letter surname turns up by chance in a few megabytes of random bytes (one in 2^32 per
 * position) or of base64url tokens (one in 64^4), so short strings are only searched where
 * plaintext would put them: as a whole column value, between non-word characters in text, or as a
 * JSON string in binary. Strings of 8 bytes or more are searched anywhere: a chance match is then
 * below one in 2^48 per position.
 */
export const ANYWHERE_MIN_BYTES = 8;

export type ScannedValue = { readonly text: string } | { readonly bytes: Buffer };

/** The secrets found in plaintext in any of the values. */
export function plaintextFound(secrets: readonly string[], values: readonly ScannedValue[]): string[] {
  const texts = values.flatMap((v) => ('text' in v ? [v.text] : []));
  const binary = Buffer.concat(values.flatMap((v) => ('bytes' in v ? [v.bytes] : [])));
  const wholeValues = new Set(texts.map((t) => t.toLowerCase()));
  const joinedText = texts.join('\u0000');
  return [...new Set(secrets)].filter((secret) => {
    if (Buffer.byteLength(secret, 'utf8') >= ANYWHERE_MIN_BYTES)
      return joinedText.includes(secret) || binary.includes(Buffer.from(secret, 'utf8'));
    return (
      wholeValues.has(secret.toLowerCase()) ||
      asWord(secret).test(joinedText) ||
      binary.includes(Buffer.from(JSON.stringify(secret), 'utf8'))
    );
  });
}

/** The secrets found in a raw database file, which holds ciphertext, tokens and plain text alike. */
export function plaintextFoundInFile(secrets: readonly string[], file: Buffer): string[] {
  return [...new Set(secrets)].filter((secret) =>
    Buffer.byteLength(secret, 'utf8') >= ANYWHERE_MIN_BYTES
      ? file.includes(Buffer.from(secret, 'utf8'))
      : file.includes(Buffer.from(JSON.stringify(secret), 'utf8')),
  );
}

function asWord(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}_-])${escaped}(?![\\p{L}\\p{N}_-])`, 'u');
}
