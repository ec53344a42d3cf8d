import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError } from '../../core/index.js';
import { SYNTHEA_MISSING, syntheaAvailable, syntheaBundles } from '../testing.js';
import { readBundleEntries, type BundleStreamEvent } from './bundle-entries.js';
import { readNdjson, type NdjsonItem } from './ndjson.js';

async function* chunks(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let last = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(last, cut);
    last = cut;
  }
  yield bytes.subarray(last);
}

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

async function streamed(text: string, cuts: number[] = []) {
  const events: BundleStreamEvent[] = await collect(
    readBundleEntries(chunks(Buffer.from(text, 'utf8'), cuts)),
  );
  const entries = events.flatMap((e) => (e.kind === 'entry' ? [e.entry] : []));
  const end = events.at(-1);
  assert.ok(end?.kind === 'end');
  return { entries, envelope: end.envelope, events };
}

const jsonish = fc.jsonValue({ maxDepth: 4 });
// Strings with escapes, quotes, brackets and multi-byte characters stress the scanner most.
const tricky = fc.oneof(
  jsonish,
  fc.string({
    unit: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '张', '😀', 'a', '\n', '\u2028'),
  }),
);

describe('readBundleEntries', () => {
  it('agrees with JSON.parse on random Bundles split into random byte chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), tricky, { maxKeys: 4 }),
        fc.array(tricky, { maxLength: 6 }),
        fc.constantFrom(undefined, 0, 1, 2, '\t'),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        async (members, entry, indent, cuts, entryFirst) => {
          delete members['entry'];
          const doc = entryFirst ? { entry, ...members } : { ...members, entry };
          const text = JSON.stringify(doc, null, indent);
          const expected = JSON.parse(text) as Record<string, unknown>;
          const { entries, envelope } = await streamed(text, cuts);
          assert.deepEqual(entries, expected['entry']);
          const { entry: _e, ...rest } = expected;
          assert.deepEqual(envelope, rest);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects exactly what JSON.parse rejects, on random corruptions of a Bundle', async () => {
    const base = JSON.stringify({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ a: [1, '}'] }, 'x\\"', null, 2.5e3],
    });
    await fc.assert(
      fc.asyncProperty(
        fc.nat(base.length),
        fc.nat(base.length),
        fc.constantFrom('', '{', '}', '[', ']', ',', ':', '"', '\\', 'x', ' '),
        async (at, len, insert) => {
          const text = base.slice(0, at) + insert + base.slice(Math.min(base.length, at + (len % 3)));
          let parsed: unknown;
          let valid = true;
          try {
            parsed = JSON.parse(text);
          } catch {
            valid = false;
          }
          const isObject = valid && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
          try {
            const { entries, envelope } = await streamed(text, [at]);
            assert.ok(isObject, `accepted what JSON.parse rejects: ${text}`);
            const { entry, ...rest } = parsed as Record<string, unknown>;
            if (Array.isArray(entry)) {
              assert.deepEqual(entries, entry);
              assert.deepEqual(envelope, rest);
            } else assert.deepEqual(envelope, parsed);
          } catch (e) {
            if (!isCustodiaError(e)) throw e;
            assert.ok(!isObject, `rejected valid JSON: ${text}: ${e.message}`);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reports where a truncated file ends', async () => {
    await assert.rejects(
      streamed('{"resourceType":"Bundle","entry":[{"a":1},{"b"'),
      (e) => isCustodiaError(e) && /truncated/.test(e.message),
    );
    await assert.rejects(streamed(''), (e) => isCustodiaError(e) && /empty/.test(e.message));
    await assert.rejects(
      streamed('{"entry":[1,]}'),
      (e) => isCustodiaError(e) && /character 12/.test(e.message),
    );
  });

  it('reports the bundle type to entries that come after it', async () => {
    const { events } = await streamed('{"resourceType":"Bundle","type":"transaction","entry":[{}]}');
    assert.deepEqual(events[0], { kind: 'entry', index: 0, entry: {}, bundleType: 'transaction' });
  });

  it('refuses an entry larger than the limit', async () => {
    const text = JSON.stringify({ entry: [{ big: 'x'.repeat(100) }] });
    await assert.rejects(
      collect(readBundleEntries(chunks(Buffer.from(text), [10, 30]), { maxEntryChars: 50 })),
      (e) => isCustodiaError(e) && /longer than 50/.test(e.message),
    );
  });

  it(
    'streams every Synthea file to the same entries as JSON.parse',
    { skip: syntheaAvailable() ? false : SYNTHEA_MISSING },
    async () => {
      for (const { file, bundle } of syntheaBundles().slice(0, 5)) {
        const events = await collect(readBundleEntries(createReadStream(file, { highWaterMark: 4096 })));
        const entries = events.flatMap((e) => (e.kind === 'entry' ? [e.entry] : []));
        assert.deepEqual(entries, bundle.entry, file);
      }
    },
  );
});

describe('readNdjson', () => {
  it('yields the resources of random NDJSON split into random byte chunks, with line numbers', async () => {
    const resource = fc.record({
      resourceType: fc.constantFrom('Patient', 'Observation'),
      id: fc.string(),
      note: fc.string({ unit: fc.constantFrom('a', '张', '😀', '\\', '"') }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(resource, fc.constant(null)), { maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (lines, crlf, cuts) => {
          const text = lines.map((r) => (r === null ? '' : JSON.stringify(r))).join(crlf ? '\r\n' : '\n');
          const items: NdjsonItem[] = await collect(readNdjson(chunks(Buffer.from(text), cuts)));
          const expected = lines.flatMap((r, i) =>
            r === null ? [] : [{ line: i + 1, resource: JSON.parse(JSON.stringify(r)) as unknown }],
          );
          assert.deepEqual(items, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports bad lines by number and goes on', async () => {
    const text =
      '{"resourceType":"Patient"}\n{oops\n[1]\n\n{"resourceType":"Observation"}\n' +
      'x'.repeat(100) +
      '\n{"resourceType":"Encounter"}';
    const items = await collect(readNdjson(chunks(Buffer.from(text), [3, 40]), { maxLineChars: 50 }));
    assert.deepEqual(
      items.map((i) => ('error' in i ? `${i.line}:error` : `${i.line}:${i.resource.resourceType}`)),
      ['1:Patient', '2:error', '3:error', '5:Observation', '6:error', '7:Encounter'],
    );
    const bad = items[1]!;
    assert.ok('error' in bad && /line 2/.test(bad.error.message) && bad.error.zh?.includes('第 2 行'));
  });

  it('accepts a byte-order mark', async () => {
    const items = await collect(
      readNdjson(chunks(Buffer.from('\ufeff{"resourceType":"Patient"}\n'), [1, 2])),
    );
    assert.equal(items.length, 1);
  });
});
