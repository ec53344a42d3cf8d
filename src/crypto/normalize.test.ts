import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nameTokens, normalizeIdentifier, normalizeName, normalizePhone } from './normalize.js';

const anyText = fc.string({ unit: 'grapheme', maxLength: 30 });
const latinWord = fc.stringMatching(/^[A-Za-z]{1,10}$/);
const hanName = fc
  .array(fc.constantFrom(...'张王李赵欧阳司马三丰娜买提古丽依阿'), { minLength: 2, maxLength: 5 })
  .map((a) => a.join(''));
const spacing = fc
  .array(fc.constantFrom(' ', '  ', '\t', '\u3000'), { minLength: 0, maxLength: 2 })
  .map((a) => a.join(''));

test('normalizers are idempotent on any input', () => {
  for (const f of [normalizeIdentifier, normalizePhone, normalizeName])
    fc.assert(
      fc.property(anyText, (s) => f(f(s)) === f(s)),
      { numRuns: 2000 },
    );
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...'+0123456789 -()86') }),
      (s) => normalizePhone(normalizePhone(s)) === normalizePhone(s),
    ),
    { numRuns: 3000 },
  );
});

test('identifiers ignore case, spaces, hyphens and full-width forms', () => {
  assert.equal(normalizeIdentifier(' 11010519491231002x '), '11010519491231002X');
  assert.equal(normalizeIdentifier('１１０１０５１９４９１２３１００２Ｘ'), '11010519491231002X');
  assert.equal(normalizeIdentifier('mrn-2024 0001'), 'MRN20240001');
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,4}$/), { minLength: 1, maxLength: 5 }),
      fc.array(fc.constantFrom(' ', '-', '–', '　')),
      (parts, seps) => {
        const plain = parts.join('');
        const spaced = parts
          .map((p, i) => (i % 2 ? p.toLowerCase() : p.toUpperCase()) + (seps[i] ?? ''))
          .join('');
        return normalizeIdentifier(spaced) === normalizeIdentifier(plain);
      },
    ),
  );
});

test('phones: +86 / 0086 / 86 prefixes and formatting do not matter', () => {
  for (const v of [
    '13800138000',
    '+86 138-0013-8000',
    '0086 13800138000',
    '8613800138000',
    '(+86) 138 0013 8000',
    '＋８６１３８００１３８０００',
  ])
    assert.equal(normalizePhone(v), '13800138000', v);
  assert.equal(normalizePhone('+86 10 6512 3456'), '01065123456');
  assert.equal(normalizePhone('010-6512-3456'), '01065123456');
  assert.equal(normalizePhone('+1 (555) 010-9999'), '15550109999');
  fc.assert(
    fc.property(
      fc.stringMatching(/^1[3-9]\d{9}$/),
      fc.constantFrom('', '+86', '+86 ', '0086', '86'),
      fc.constantFrom('', ' ', '-'),
      (mobile, prefix, sep) => {
        const written = prefix + mobile.slice(0, 3) + sep + mobile.slice(3, 7) + sep + mobile.slice(7);
        return normalizePhone(written) === mobile;
      },
    ),
  );
});

test('Latin names ignore case, diacritics and extra spaces', () => {
  assert.equal(normalizeName('  José   María  GARCÍA '), 'jose maria garcia');
  assert.equal(normalizeName("O'Brien-Smith"), 'obrien smith');
  assert.equal(normalizeName('Zoë Ångström'), 'zoe angstrom');
  fc.assert(
    fc.property(fc.array(latinWord, { minLength: 1, maxLength: 4 }), spacing, (words, pad) => {
      const a = words.join(' ');
      const b = pad + words.map((w) => w.toUpperCase()).join(` ${pad}`) + pad;
      return normalizeName(a) === normalizeName(b) && normalizeName(a) === a.toLowerCase();
    }),
  );
});

test('Chinese names ignore spaces, middle dots and full-width forms', () => {
  assert.equal(normalizeName('张 三'), '张三');
  assert.equal(normalizeName('阿依古丽·买买提'), '阿依古丽买买提');
  assert.equal(normalizeName('阿依古丽・买买提'), '阿依古丽买买提');
  fc.assert(
    fc.property(hanName, spacing, fc.constantFrom('', '·', '•'), (name, pad, dot) => {
      const chars = [...name];
      const written = pad + chars[0] + dot + pad + chars.slice(1).join(pad);
      return normalizeName(written) === name;
    }),
  );
});

test('name tokens: whole name and parts, surname-aware for Chinese', () => {
  assert.deepEqual(nameTokens('张三丰'), ['张三丰', '张', '三丰']);
  assert.deepEqual(nameTokens('欧阳娜娜'), ['欧阳娜娜', '欧阳', '娜娜']);
  assert.deepEqual(nameTokens('阿依古丽·买买提'), ['阿依古丽买买提', '阿依古丽', '买买提']);
  assert.deepEqual(nameTokens('José  Smith'), ['jose smith', 'jose', 'smith']);
  assert.deepEqual(
    nameTokens({ family: 'Smith', given: ['John', 'Ronald'] }).sort(),
    ['john', 'john ronald smith', 'ronald', 'smith'].sort(),
  );
  assert.deepEqual(
    nameTokens({ family: '王', given: ['小明'], text: '王小明' }).sort(),
    ['小明', '王', '王小明'].sort(),
  );
  assert.deepEqual(nameTokens('   '), []);
  // Every token is already normalized: indexing a token and indexing a query agree.
  fc.assert(fc.property(anyText, (s) => nameTokens(s).every((t) => normalizeName(t) === t && t !== '')));
});
