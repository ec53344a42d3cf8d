import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { makeResidentId, type TenantId } from '../core/index.js';
import { BLIND_INDEX_BYTES, BlindIndexer } from './blind-index.js';
import { LocalKeyring } from './local-keyring.js';
import { parseLookupCode } from './lookup-code.js';

const ZJ = 'region-zj' as TenantId;
const SH = 'region-sh' as TenantId;
let dataDir: string;
let keys: LocalKeyring;
const masterKey = randomBytes(32);
/** Another process (another hospital's server of the same region) on the same keyring. */
const reopen = () => LocalKeyring.open({ dataDir, masterKey });
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'custodia-bidx-'));
  keys = await LocalKeyring.open({ dataDir, masterKey });
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

const residentId = makeResidentId('330106', '1985-07-12', 37);

describe('blind indexes', () => {
  test('equal after normalization, different across kinds and tenants, never the value', async () => {
    const bi = new BlindIndexer(keys);
    const a = await bi.blindIndex(ZJ, 'resident-id', residentId.toLowerCase());
    assert.equal(
      a,
      await bi.blindIndex(ZJ, 'resident-id', ` ${residentId.slice(0, 6)}-${residentId.slice(6)} `),
    );
    assert.equal(Buffer.from(a, 'base64url').length, BLIND_INDEX_BYTES);
    assert.notEqual(a, await bi.blindIndex(ZJ, 'mrn', residentId), 'kinds use separate keys');
    assert.notEqual(a, await bi.blindIndex(SH, 'resident-id', residentId), 'tenants use separate keys');
    assert.ok(!a.includes(residentId.slice(0, 6)));
    assert.equal(
      await bi.blindIndex(ZJ, 'phone', '+86 138 0013 8000'),
      await bi.blindIndex(ZJ, 'phone', '13800138000'),
    );
    await assert.rejects(bi.blindIndex(ZJ, 'phone', ' - '), { code: 'bad-request' });
  });

  test('stable across processes and tenant-key rotation', async () => {
    const before = await new BlindIndexer(keys).blindIndex(ZJ, 'name', '张三');
    await keys.rotateTenantKey(ZJ);
    assert.equal(await new BlindIndexer(await reopen()).blindIndex(ZJ, 'name', '张 三'), before);
  });

  test('a name part finds the name it belongs to', async () => {
    const idx = await new BlindIndexer(keys).forTenant(ZJ);
    const stored = new Set(idx.nameIndexes('欧阳·娜娜'));
    for (const query of ['欧阳娜娜', '欧阳', '娜娜', '欧阳 娜娜'])
      assert.ok(stored.has(idx.index('name', query)), query);
    assert.ok(!stored.has(idx.index('name', '欧')));
    const latin = new Set(idx.nameIndexes({ family: 'García', given: ['José'] }));
    for (const query of ['garcia', 'JOSE', 'José García'])
      assert.ok(latin.has(idx.index('name', query)), query);
  });

  test('index equality matches normalized equality (property)', async () => {
    const idx = await new BlindIndexer(keys).forTenant(ZJ);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
        fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
        (x, y) => (idx.index('mrn', x) === idx.index('mrn', y)) === (x.toUpperCase() === y.toUpperCase()),
      ),
    );
  });
});

describe('unified lookup codes (统一调阅编码)', () => {
  test('one person, two hospitals of the region: one code; other region or identifier: another', async () => {
    const hospitalA = new BlindIndexer(keys);
    const hospitalB = new BlindIndexer(await reopen());
    const a = await hospitalA.patientIndexToken(ZJ, 'resident-id', residentId);
    const b = await hospitalB.patientIndexToken(ZJ, 'resident-id', residentId.toLowerCase());
    assert.equal(a, b);
    assert.match(a, /^CUL-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    assert.ok(!a.replace(/-/g, '').includes(residentId.slice(6, 10)));
    assert.notEqual(a, await hospitalA.patientIndexToken(SH, 'resident-id', residentId));
    assert.notEqual(a, await hospitalA.patientIndexToken(ZJ, 'passport', residentId));
    assert.notEqual(
      a,
      await hospitalA.patientIndexToken(ZJ, 'resident-id', makeResidentId('330106', '1985-07-12', 39)),
    );
    assert.notEqual(a, await hospitalA.blindIndex(ZJ, 'resident-id', residentId));
  });

  test('invalid resident IDs are refused rather than given a code of their own', async () => {
    const bad = residentId.slice(0, 17) + (residentId[17] === '0' ? '1' : '0');
    await assert.rejects(new BlindIndexer(keys).patientIndexToken(ZJ, 'resident-id', bad), {
      code: 'bad-request',
      zh: /公民身份号码/,
    });
  });

  test('codes parse back as typed, and a single typo is caught by the check character', async () => {
    const code = await new BlindIndexer(keys).patientIndexToken(ZJ, 'resident-id', residentId);
    assert.equal(parseLookupCode(code), code);
    assert.equal(parseLookupCode(code.toLowerCase().replace(/-/g, ' ')), code);
    assert.equal(parseLookupCode(code.replace(/0/g, 'O').replace(/1/g, 'l')), code);
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const chars = code.slice(4).replace(/-/g, '');
    for (let i = 0; i < chars.length; i++)
      for (const c of alphabet)
        if (c !== chars[i])
          assert.equal(parseLookupCode(chars.slice(0, i) + c + chars.slice(i + 1)), undefined, `${i}:${c}`);
    assert.equal(parseLookupCode('CUL-1234'), undefined);
  });
});
