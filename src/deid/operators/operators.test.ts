import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError, makeResidentId } from '../../core/index.js';
import { compileOperator, redactSpans } from './compile.js';
import { patientShiftDays, shiftDate } from './date-shift.js';
import { ageAt, generalizeDivision, topCode, truncateDate, zip3 } from './generalize.js';
import { ageHierarchy, builtinHierarchy, hierarchyFromCsv } from './hierarchy.js';
import { maskAddress, maskEmail, maskPersonName, maskPhone, maskResidentId } from './mask.js';
import { addNoise, seededRng } from './noise.js';
import { DENY_ALL_GATE, hmacPseudonym, roleGate, sivTokenizer, TokenVault } from './pseudonym.js';
import type { ReidentifyEvent } from './pseudonym.js';

const KEY = Buffer.alloc(32, 7);
const env = { key: KEY, hierarchies: new Map([['age', ageHierarchy()]]), referenceDate: '2026-01-01' };

describe('masking', () => {
  it('masks Chinese names keeping the surname, compound surnames whole', () => {
    assert.equal(maskPersonName('张三'), '张*');
    assert.equal(maskPersonName('王小明'), '王**');
    assert.equal(maskPersonName('欧阳娜娜'), '欧阳**');
    assert.equal(maskPersonName('司马相如'), '司马**');
    assert.equal(maskPersonName('欧阳'), '欧*'); // two characters: surname 欧, given name 阳
    assert.equal(maskPersonName('阿依古丽·买买提'), '阿***·***');
  });

  it('masks Latin names without revealing their length', () => {
    assert.equal(maskPersonName('John Smith'), 'J*** S***');
    assert.equal(maskPersonName('Al B'), 'A*** B***');
  });

  it('masks resident IDs, phones, e-mail and addresses', () => {
    assert.equal(maskResidentId('110101199003071234'), '110101********1234');
    assert.equal(maskPhone('13812345678'), '138****5678');
    assert.equal(maskPhone('+86 138 1234 5678'), '+86 138****5678');
    assert.equal(maskPhone('010-87654321'), '***-****4321');
    assert.equal(maskEmail('alice@example.org'), 'a***@example.org');
    assert.equal(maskAddress('北京市朝阳区建国路88号'), '北京市朝阳区');
    assert.equal(maskAddress('广东省深圳市南山区科技园科苑路15号'), '广东省深圳市南山区');
    assert.equal(
      maskAddress('新疆维吾尔自治区乌鲁木齐市天山区解放南路1号'),
      '新疆维吾尔自治区乌鲁木齐市天山区',
    );
    assert.equal(maskAddress('湖南省长沙县星沙镇开元路9号'), '湖南省长沙县');
    assert.equal(maskAddress('123 Main St, Springfield, IL 62704'), 'Springfield, IL');
  });

  it('never shows the birth date part of any resident ID', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2025-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999 }),
        (d, seq) => {
          const birth = d.toISOString().slice(0, 10);
          const id = makeResidentId('440305', birth, seq);
          const masked = maskResidentId(id);
          assert.equal(masked.length, 18);
          assert.equal(masked.slice(6, 14), '********');
          assert.equal(masked.slice(0, 6), '440305');
        },
      ),
    );
  });
});

describe('generalization', () => {
  it('applies the HIPAA ZIP3 rule with the 17 restricted areas', () => {
    assert.equal(zip3('02139'), '021');
    assert.equal(zip3('03601'), '000');
    assert.equal(zip3('89301-1234'), '000');
    assert.equal(zip3('10001'), '100');
  });

  it('cuts dates and division codes', () => {
    assert.equal(truncateDate('1990-03-07', 'month'), '1990-03');
    assert.equal(truncateDate('1990-03-07T10:00:00+08:00', 'year'), '1990');
    assert.equal(generalizeDivision('110105', 'city'), '110100');
    assert.equal(generalizeDivision('110105', 'province'), '110000');
    assert.equal(ageAt('1930-06-01', '2026-01-01'), 95);
    assert.equal(topCode(95, 89), '90+');
    assert.equal(topCode(42, 89), '42');
  });

  it('builds hierarchies and rejects malformed CSV ones', () => {
    assert.deepEqual(ageHierarchy().chain('37'), ['37', '35-39', '30-39', '20-39', '*']);
    assert.deepEqual(builtinHierarchy('division').chain('440305'), ['440305', '440300', '440000', '*']);
    const h = hierarchyFromCsv('sex', '男,*\n女,*');
    assert.deepEqual(h.chain('女'), ['女', '*']);
    assert.equal(h.chain('未知'), undefined);
    assert.throws(
      () => hierarchyFromCsv('x', 'a,b,c\nd,e'),
      (e: unknown) => isCustodiaError(e) && /line 2/.test(e.message),
    );
    assert.throws(
      () => hierarchyFromCsv('x', 'a,g1,h1\nb,g1,h2'),
      (e: unknown) => isCustodiaError(e) && /not a tree/.test(e.message),
    );
  });

  it('names the value and column when a hierarchy misses a value', () => {
    const op = compileOperator(
      { op: 'generalize', hierarchy: 'age', level: '10-year band' },
      env,
      'fields.age',
    );
    assert.equal(op('37', {}), '30-39');
    assert.throws(
      () => op('abc', {}),
      (e: unknown) =>
        isCustodiaError(e) && /"abc"/.test(e.message) && /"age"/.test(e.message) && e.zh !== undefined,
    );
  });
});

describe('pseudonyms and tokens', () => {
  it('HMAC pseudonyms are stable per key and differ across keys', () => {
    const a = hmacPseudonym(KEY, 'MRN-001');
    assert.equal(a, hmacPseudonym(KEY, 'MRN-001'));
    assert.notEqual(a, hmacPseudonym(Buffer.alloc(32, 8), 'MRN-001'));
    assert.notEqual(a, hmacPseudonym(KEY, 'MRN-002'));
    assert.match(a, /^[0-9a-f]{32}$/);
  });

  it('reverses SIV tokens only for authorized actors with a purpose, recording every attempt by digest', async () => {
    const events: ReidentifyEvent[] = [];
    const gate = roleGate({ roles: ['reidentifier'], record: (e) => void events.push(e), now: () => 1 });
    const t = sivTokenizer(KEY, gate, 'project-7');
    const token = t.tokenize('张三');
    assert.equal(token, t.tokenize('张三'));
    const allowed = { id: 'u1', roles: ['reidentifier'], purpose: 'adverse-event follow-up' };
    assert.equal(await t.reidentify(token, allowed), '张三');
    await assert.rejects(
      t.reidentify(token, { id: 'u2', roles: ['analyst'], purpose: 'curiosity' }),
      (e: unknown) => isCustodiaError(e) && e.status === 403 && e.zh !== undefined,
    );
    // The right role without a stated purpose is refused too.
    await assert.rejects(t.reidentify(token, { id: 'u3', roles: ['reidentifier'] }), isCustodiaError);
    const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    await assert.rejects(t.reidentify(tampered, allowed), isCustodiaError);
    assert.deepEqual(
      events.map((e) => [e.actor.id, e.outcome, e.tokenizer]),
      [
        ['u1', 'granted', 'project-7'],
        ['u2', 'denied', 'project-7'],
        ['u3', 'denied', 'project-7'],
        ['u1', 'unknown-token', 'project-7'],
      ],
    );
    // The record names tokens by digest: neither the value nor the token (ciphertext) goes to the ledger.
    const digest = createHash('sha256').update(token).digest('hex');
    assert.deepEqual(events[0]!.tokenDigests, [digest]);
    const recorded = JSON.stringify(events);
    assert.ok(!recorded.includes('张三') && !recorded.includes(token));
  });

  it('releases nothing when the audit record cannot be written, and waits for it', async () => {
    let written = false;
    const slow = sivTokenizer(KEY, {
      authorize: () => true,
      record: async () => {
        await new Promise((r) => setTimeout(r, 20));
        written = true;
      },
    });
    const token = slow.tokenize('13812345678');
    assert.equal(await slow.reidentify(token, { id: 'a', roles: [] }), '13812345678');
    assert.ok(written, 'the value came back before its record was written');
    const failing = sivTokenizer(KEY, {
      authorize: async () => true,
      record: () => Promise.reject(new Error('ledger unavailable')),
    });
    await assert.rejects(failing.reidentify(token, { id: 'a', roles: [] }), /ledger unavailable/);
  });

  it('reverses a batch under one decision and one record', async () => {
    const events: ReidentifyEvent[] = [];
    const t = sivTokenizer(KEY, { authorize: () => true, record: (e) => void events.push(e) });
    const values = ['110101199003071234', '王小明', ''];
    assert.deepEqual(
      await t.reidentifyMany(
        values.map((v) => t.tokenize(v)),
        { id: 'b', roles: [] },
      ),
      values,
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.tokenDigests.length, 3);
  });

  it('round-trips any text through the SIV tokenizer', async () => {
    const t = sivTokenizer(KEY, { authorize: () => true, record: () => undefined });
    await fc.assert(
      fc.asyncProperty(fc.string(), async (s) =>
        assert.equal(await t.reidentify(t.tokenize(s), { id: 'x', roles: [] }), s),
      ),
    );
  });

  it('keeps a token vault that survives JSON and still gates re-identification', async () => {
    const events: ReidentifyEvent[] = [];
    const gate = roleGate({ roles: ['dpo'], requirePurpose: false, record: (e) => void events.push(e) });
    const v = new TokenVault(KEY, gate);
    const token = v.tokenize('13812345678');
    const restored = new TokenVault(
      KEY,
      gate,
      JSON.parse(JSON.stringify(v.toJSON())) as Record<string, string>,
    );
    assert.equal(await restored.reidentify(token, { id: 'd', roles: ['dpo'] }), '13812345678');
    await assert.rejects(restored.reidentify(token, { id: 'e', roles: [] }));
    assert.deepEqual(
      events.map((e) => e.outcome),
      ['granted', 'denied'],
    );
  });

  it('denies everyone through the gate of file runs', async () => {
    const t = sivTokenizer(KEY, DENY_ALL_GATE);
    await assert.rejects(t.reidentify(t.tokenize('x'), { id: 'root', roles: ['admin'], purpose: 'any' }));
  });

  it('refuses short keys', () => {
    assert.throws(() => sivTokenizer(Buffer.alloc(8), DENY_ALL_GATE), isCustodiaError);
  });
});

describe('date shifting, noise, free text', () => {
  it('shifts all dates of one patient by the same non-zero amount within the bound', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 365 }), (patient, max) => {
        const d = patientShiftDays(KEY, patient, max);
        assert.ok(d !== 0 && Math.abs(d) <= max);
      }),
    );
    const op = compileOperator({ op: 'date-shift', maxDays: 30 }, env, 'fields.d');
    const a = op('2024-01-10', { patientKey: 'P1' })!;
    const b = op('2024-03-01T08:30:00+08:00', { patientKey: 'P1' })!;
    const days = (x: string, y: string) =>
      (Date.parse(y.slice(0, 10)) - Date.parse(x.slice(0, 10))) / 86_400_000;
    assert.equal(days(a, b), days('2024-01-10', '2024-03-01'));
    assert.match(b, /T08:30:00\+08:00$/);
    assert.equal(shiftDate('2024-02', 10), '2024-02');
    assert.throws(
      () => op('2024-01-10', {}),
      (e: unknown) => isCustodiaError(e) && /patient/.test(e.message),
    );
  });

  it('adds seeded noise reproducibly and with the right spread', () => {
    const a = seededRng(1);
    const b = seededRng(1);
    const xs = Array.from({ length: 20000 }, () => addNoise(0, 'laplace', 2, a, 6));
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => addNoise(0, 'laplace', 2, b, 6)),
    );
    const meanAbs = xs.reduce((s, x) => s + Math.abs(x), 0) / xs.length; // E|X| = scale for Laplace
    assert.ok(Math.abs(meanAbs - 2) < 0.1, `mean |x| ${meanAbs}`);
    const g = seededRng(3);
    const ys = Array.from({ length: 20000 }, () => addNoise(0, 'gaussian', 3, g, 6));
    const sd = Math.sqrt(ys.reduce((s, y) => s + y * y, 0) / ys.length);
    assert.ok(Math.abs(sd - 3) < 0.1, `sd ${sd}`);
  });

  it('routes free text to the injected detector and fails clearly without one', () => {
    const detector = (text: string) => {
      const i = text.indexOf('张三');
      return i < 0 ? [] : [{ start: i, end: i + 2, type: 'name' }];
    };
    const op = compileOperator({ op: 'free-text' }, { ...env, detector }, 'fields.note');
    assert.equal(op('患者张三主诉头痛', {}), '患者[NAME]主诉头痛');
    assert.equal(
      redactSpans('call 555-1234 or 555-9999', [
        { start: 5, end: 13, type: 'phone' },
        { start: 17, end: 25, type: 'phone' },
      ]),
      'call [PHONE] or [PHONE]',
    );
    assert.throws(
      () => compileOperator({ op: 'free-text' }, env, 'fields.note'),
      (e: unknown) => isCustodiaError(e) && /no PHI detector/.test(e.message) && e.path === 'fields.note',
    );
  });

  it('top-codes ages and collapses birth dates over 89 (Safe Harbor)', () => {
    const top = compileOperator({ op: 'top-code', max: 89 }, env, 'fields.age');
    assert.equal(top('93', {}), '90+');
    const birth = compileOperator({ op: 'date', grain: 'year', collapseAgeOver: 89 }, env, 'fields.birth');
    assert.equal(birth('1950-05-01', {}), '1950');
    assert.equal(birth('1930-05-01', {}), '<=1936');
    assert.equal(birth('1936-06-01', {}), '1936'); // 89 on the reference date: not collapsed
  });
});

describe('date arithmetic', () => {
  it('shifts like Date does, across months, leap days and centuries', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1800-01-01'), max: new Date('2200-12-31'), noInvalidDate: true }),
        fc.integer({ min: -400, max: 400 }),
        (d, days) => {
          const iso = d.toISOString().slice(0, 10);
          const expected = new Date(Date.parse(iso) + days * 86_400_000).toISOString().slice(0, 10);
          assert.equal(shiftDate(iso, days), expected);
        },
      ),
    );
  });
});
