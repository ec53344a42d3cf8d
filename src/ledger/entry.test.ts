import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../core/index.js';
import { checkEntry, encodeEntry, type AuditEntry } from './entry.js';
import { sampleEntry } from './testing.js';

test('the entry encoder writes exactly the RFC 8785 canonical JSON', () => {
  for (let i = 0; i < 300; i++) {
    const entry = sampleEntry(i);
    assert.equal(Buffer.from(encodeEntry(entry)).toString('utf8'), canonicalJson(entry));
  }
  // Any strings (escapes, non-BMP, lone surrogates, Chinese), any field order, any time.
  const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
  fc.assert(
    fc.property(
      text,
      text,
      text,
      text,
      fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      fc.boolean(),
      (actor, org, action, reason, time, reversed) => {
        const fields: [string, unknown][] = [
          ['kind', 'dataset-event'],
          ['actor', actor],
          ['organization', org],
          ['action', action],
          ['reason', reason],
          ['targets', ['pt_abcdefghijk']],
          ['time', time],
          ['dataset', `ds-${action}`],
          ['stage', 'release'],
          ['derivedFrom', [org, '数据集-源']],
          ['recipient', 'org-研究所'],
        ];
        const entry = checkEntry(Object.fromEntries(reversed ? fields.reverse() : fields)) as AuditEntry;
        assert.equal(Buffer.from(encodeEntry(entry)).toString('utf8'), canonicalJson(entry));
      },
    ),
    { numRuns: 500 },
  );
});
