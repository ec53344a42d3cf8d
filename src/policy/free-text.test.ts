import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../deid/index.js';
import { isAttachment, maskAttachment, maskFreeText, type TextMasks } from './free-text.js';

const ALL: TextMasks = { name: true, residentId: true, phone: true, address: true };
const RESIDENT_ID_ONLY: TextMasks = { name: false, residentId: true, phone: false, address: false };

// As the project's generator writes an outpatient note (src/synth/note.ts).
const ZH_NOTE = [
  '北京朝阳示范医院 门诊病历',
  '姓名：吕丹　性别：女　年龄：35岁',
  '身份证号：110114198003225041　联系电话：18202490523',
  '住址：北京市昌平区鼓楼南街212号',
  '主诉：头晕、头痛2周。',
  '现病史：患者吕丹因“头晕、头痛2周”来我院就诊。',
  '诊断：高血压',
  '联系人：王佳月（父母），电话 17341830702',
  '医师：刘雪',
].join('\n');

const EN_NOTE = [
  'Patient: Sarah Jane Quigley, female, DOB 1976-10-11 (age 46)',
  'SSN: 123-45-6789  Phone: 206-555-2158',
  'Address: 3723 Antonietta Fork, Seattle, WA',
  'Assessment: Healthy adult, routine examination',
  'Next of kin: Alan Hart (child), 206-555-5507',
  'Clinician: Dr 王凯振',
].join('\n');

describe('policy: masks in free text', () => {
  it("masks a Chinese note's names (everywhere they appear), resident ID, phones and address", () => {
    const out = maskFreeText(ZH_NOTE, ALL);
    for (const secret of [
      '吕丹',
      '佳月',
      '刘雪',
      '110114198003225041',
      '18202490523',
      '17341830702',
      '鼓楼南街',
    ])
      assert.ok(!out.includes(secret), `${secret} is masked in:\n${out}`);
    assert.match(out, /姓名：吕\*\u3000/);
    assert.match(out, /患者吕\*因/, 'the bare second mention of the name too');
    assert.match(out, /身份证号：110114\*{8}5041/);
    assert.match(out, /联系电话：182\*{4}0523/);
    assert.match(out, /住址：北京市昌平区\n/, 'the address is cut to the district');
    assert.match(out, /诊断：高血压/, 'the clinical content stays');
  });

  it('masks an English note; a social security number counts as the national number', () => {
    const out = maskFreeText(EN_NOTE, ALL);
    for (const secret of ['Sarah', 'Quigley', '123-45-6789', '555-2158', 'Antonietta', 'Alan', '凯振'])
      assert.ok(!out.includes(secret), `${secret} is masked in:\n${out}`);
    assert.match(out, /Address: Seattle, WA/);
    assert.match(out, /Assessment: Healthy adult, routine examination/);
  });

  it('masks only the kinds asked for: a nurse reads the name, not the resident ID', () => {
    const out = maskFreeText(ZH_NOTE, RESIDENT_ID_ONLY);
    assert.ok(!out.includes('110114198003225041'));
    assert.ok(out.includes('吕丹') && out.includes('18202490523') && out.includes('鼓楼南街212号'));
  });

  it('returns the text itself when nothing in it is masked', () => {
    const text = '血压 150/92 mmHg，心率 77 次/分。';
    assert.equal(maskFreeText(text, ALL), text);
    assert.equal(
      maskFreeText(ZH_NOTE, { name: false, residentId: false, phone: false, address: false }),
      ZH_NOTE,
    );
  });
});

describe('policy: masks in attachments', () => {
  const attachment = (contentType: string, text: string): JsonObject => {
    const data = Buffer.from(text, 'utf8');
    return {
      contentType,
      data: data.toString('base64'),
      size: data.length,
      hash: 'c2hhMQ==',
      title: '门诊病历',
    };
  };
  const decoded = (a: JsonObject) => Buffer.from(a.data as string, 'base64').toString('utf8');

  it('masks text content, with its size following and the hash of the original left out', () => {
    const out = maskAttachment(attachment('text/plain; charset=utf-8', ZH_NOTE), ALL);
    const text = decoded(out);
    assert.equal(text, maskFreeText(ZH_NOTE, ALL));
    assert.equal(out.size, Buffer.byteLength(text, 'utf8'));
    assert.equal(out.hash, undefined);
    assert.equal(out.title, '门诊病历');
    assert.equal(out.contentType, 'text/plain; charset=utf-8');
    assert.ok(!('_data' in out));
  });

  it('masks text with no charset, and a title', () => {
    const out = maskAttachment(
      { ...attachment('text/markdown', EN_NOTE), title: 'Note for Mr. Quigley' },
      ALL,
    );
    assert.ok(!decoded(out).includes('Quigley'));
    assert.equal(out.title, 'Note for Mr. Q***');
  });

  it('leaves out content that cannot be read as text, marked as masked', () => {
    for (const contentType of ['application/pdf', 'image/jpeg', 'text/plain; charset=gbk']) {
      const out = maskAttachment(attachment(contentType, ZH_NOTE), RESIDENT_ID_ONLY);
      assert.equal(out.data, undefined, contentType);
      assert.equal(out.hash, undefined);
      assert.equal(out.size, undefined);
      assert.deepEqual(out._data, {
        extension: [
          { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' },
        ],
      });
      assert.equal(out.contentType, contentType);
    }
  });

  it('knows an Attachment from other elements with `data`', () => {
    assert.equal(isAttachment({ contentType: 'application/pdf', data: 'JVBERi0=' }), true);
    assert.equal(isAttachment({ title: '报告', contentType: 'application/pdf', url: 'https://x/y' }), true);
    const sampled = { origin: { value: 0 }, period: 10, dimensions: 1, data: '1 2 3' };
    assert.equal(isAttachment(sampled), false, 'SampledData');
    const signature = { type: [], when: '2026-01-01T00:00:00Z', who: {}, data: 'AAAA' };
    assert.equal(isAttachment(signature), false, 'Signature');
    assert.equal(isAttachment({ url: 'https://x/y' }), false);
  });

  it('returns the attachment itself when nothing in it is masked', () => {
    const plain = attachment('text/plain', '血压 150/92 mmHg。');
    assert.equal(maskAttachment(plain, ALL), plain);
    const link = { contentType: 'application/pdf', url: 'https://example.org/doc.pdf', title: '报告' };
    assert.equal(maskAttachment(link, ALL), link);
  });
});
