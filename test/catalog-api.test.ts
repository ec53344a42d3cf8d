/**
 * The data asset catalog over HTTP, on both dialects: who may read and change it, registering and
 * updating assets, lineage, history, the inventory as JSON and CSV, discovery of identifying
 * columns in an uploaded CSV with steward decisions, the clinical store's collections keeping
 * themselves current, the bad input of the issue, and what the ledger records (never a value).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RESIDENT_ID = '11010519491231002X';
const CSV = [
  '姓名,身份证号,手机号,诊断编码,备注',
  `张伟,${RESIDENT_ID},13812345678,B20,复诊`,
  '李娜,440524188001010014,13987654321,I10,无',
  '王芳,110105199001011236,15011112222,E11.9,随访',
  '赵敏,320106198512123453,18633334444,J45,正常',
].join('\n');

const asset = (name: string, extra: Json = {}): Json => ({
  kind: 'table',
  name,
  source: 'HIS 门诊库',
  purpose: '临床质控',
  storageLocation: 'db01.hospital.local/his',
  updateFrequency: 'daily',
  responsiblePerson: '信息科 王工',
  ...extra,
});

for (const { dialect, skip } of testDialects()) {
  describe(`data asset catalog over HTTP (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    const tokens: Record<string, string> = {};
    const call = (
      who: string | undefined,
      method: string,
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
          ...(payload === undefined || typeof payload === 'string'
            ? {}
            : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
    const ledgerEntries = async () => {
      const out: Json[] = [];
      for (let i = 0; i < ts.system.ledger.size; i++) out.push((await ts.system.ledger.get(i)).entry as Json);
      return out;
    };

    before(async () => {
      ts = await startTestSystem(dialect);
      tokens.steward = await loginAs(ts, 'steward', ['data-steward']);
      tokens.admin = await loginAs(ts, 'admin', ['admin']);
      tokens.regulator = await loginAs(ts, 'regulator', ['regulator'], 'Health Commission');
      tokens.privacy = await loginAs(ts, 'privacy', ['privacy-officer']);
      tokens.clinician = await loginAs(ts, 'doctor', ['clinician']);
    });
    after(async () => ts?.dispose());

    test('route authorization: stewards and admins write, oversight reads, others are refused', async () => {
      const anonymous = await call(undefined, 'GET', '/catalog/assets');
      assert.equal(anonymous.statusCode, 401);
      const clinician = await call('clinician', 'GET', '/catalog/assets');
      assert.equal(clinician.statusCode, 403);
      assert.match(clinician.headers['content-type'] as string, /application\/problem\+json/);
      assert.match(clinician.json().detail, /data-steward/);
      assert.equal((await call('clinician', 'GET', '/catalog/inventory')).statusCode, 403);
      for (const who of ['regulator', 'privacy', 'steward', 'admin'])
        assert.equal((await call(who, 'GET', '/catalog/assets')).statusCode, 200, who);
      for (const who of ['regulator', 'privacy', 'clinician'])
        assert.equal((await call(who, 'POST', '/catalog/assets', asset('X'))).statusCode, 403, who);
      assert.equal((await call('admin', 'POST', '/catalog/assets', asset('by admin'))).statusCode, 201);
      const schemeBySteward = await call('steward', 'PUT', '/admin/grading-scheme', { scheme: 'hipaa' });
      assert.equal(schemeBySteward.statusCode, 403);
      assert.equal((await call('regulator', 'GET', '/admin/grading-scheme')).statusCode, 200);
    });

    test('the routes are in the generated OpenAPI document', async () => {
      const doc = (await ts.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      for (const path of [
        '/catalog/assets',
        '/catalog/assets/{id}',
        '/catalog/assets/{id}/fields',
        '/catalog/assets/{id}/lineage',
        '/catalog/assets/{id}/history',
        '/catalog/assets/{id}/discover',
        '/catalog/assets/{id}/fields/{field}/decision',
        '/catalog/inventory',
        '/admin/grading-scheme',
      ])
        assert.ok(doc.paths[path], path);
      assert.ok(
        doc.paths['/catalog/assets'].post.requestBody.content['application/json'].schema.required.includes(
          'responsiblePerson',
        ),
      );
    });

    test('register, read, update with If-Match, history, and bad input naming what is valid', async () => {
      const created = await call('steward', 'POST', '/catalog/assets', asset('门诊就诊表'));
      assert.equal(created.statusCode, 201, created.body);
      const a = created.json();
      assert.equal(created.headers.etag, 'W/"1"');
      assert.equal(a.responsiblePerson, '信息科 王工');

      const got = await call('regulator', 'GET', `/catalog/assets/${a.id}`);
      assert.equal(got.json().name, '门诊就诊表');
      const updated = await call(
        'steward',
        'PATCH',
        `/catalog/assets/${a.id}`,
        { purpose: '科研' },
        { 'if-match': 'W/"1"' },
      );
      assert.equal(updated.statusCode, 200, updated.body);
      assert.equal(updated.json().version, 2);
      const stale = await call(
        'steward',
        'PATCH',
        `/catalog/assets/${a.id}`,
        { purpose: '质控' },
        { 'if-match': 'W/"1"' },
      );
      assert.equal(stale.statusCode, 409);
      assert.match(stale.json().detail, /version 2/);

      const history = (await call('privacy', 'GET', `/catalog/assets/${a.id}/history`)).json();
      assert.deepEqual(
        history.map((v: Json) => [v.version, v.action]),
        [
          [1, 'create'],
          [2, 'update'],
        ],
      );
      assert.deepEqual(history[1].changes.purpose, { from: '临床质控', to: '科研' });
      assert.ok(history[1].changedBy.length > 0);

      const badGrade = await call(
        'steward',
        'POST',
        '/catalog/assets',
        asset('Y', { sensitivity: { scheme: 'seed-3-grade', grade: 'grade-9' } }),
      );
      assert.equal(badGrade.statusCode, 400);
      assert.match(badGrade.json().detail, /grade-9.*grade-3, grade-2, grade-1/);
      assert.deepEqual(badGrade.json().valid, ['grade-3', 'grade-2', 'grade-1']);
      const badScheme = await call(
        'steward',
        'POST',
        '/catalog/assets',
        asset('Y', { sensitivity: { scheme: 'iso-27001', grade: '1' } }),
      );
      assert.equal(badScheme.statusCode, 400);
      assert.match(
        badScheme.json().detail,
        /iso-27001.*seed-3-grade.*gbt-39725-2020.*hipaa|iso-27001.*hipaa/,
      );
      const missing = await call('steward', 'POST', '/catalog/assets', {
        ...asset('Z'),
        responsiblePerson: undefined,
      });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().detail, /responsiblePerson/);
      const blank = await call('steward', 'POST', '/catalog/assets', asset('Z', { purpose: '  ' }));
      assert.equal(blank.statusCode, 400);
      assert.equal(blank.json().messages['zh-CN'], '资产台账必须填写“用途”');
      const badFilter = await call('regulator', 'GET', '/catalog/assets?grade=level-9');
      assert.equal(badFilter.statusCode, 400);
      assert.match(badFilter.json().detail, /level-9.*grade-3/);
      assert.equal((await call('regulator', 'GET', '/catalog/assets/nope')).statusCode, 404);
    });

    test('lineage: derived from and derived to as a graph; a cycle is refused', async () => {
      const ids: string[] = [];
      for (const name of ['HIS', 'FHIR extract', 'de-identified research set']) {
        const r = await call('steward', 'POST', '/catalog/assets', asset(name));
        ids.push(r.json().id);
      }
      const [his, extract, research] = ids as [string, string, string];
      assert.equal(
        (await call('steward', 'POST', '/catalog/lineage', { from: his, to: extract, activity: 'ETL' }))
          .statusCode,
        201,
      );
      assert.equal(
        (
          await call('steward', 'POST', '/catalog/lineage', {
            from: extract,
            to: research,
            activity: 'deid run',
          })
        ).statusCode,
        201,
      );
      const cycle = await call('steward', 'POST', '/catalog/lineage', {
        from: research,
        to: his,
        activity: 'loop',
      });
      assert.equal(cycle.statusCode, 409);
      const g = (await call('regulator', 'GET', `/catalog/assets/${extract}/lineage`)).json();
      assert.deepEqual(
        g.derivedFrom.map((n: Json) => n.asset.id),
        [his],
      );
      assert.deepEqual(
        g.derivedTo.map((n: Json) => n.asset.id),
        [research],
      );
      assert.equal(g.edges.length, 2);
      const far = (await call('regulator', 'GET', `/catalog/assets/${research}/lineage`)).json();
      assert.deepEqual(
        far.derivedFrom.map((n: Json) => [n.asset.id, n.depth]),
        [
          [extract, 1],
          [his, 2],
        ],
      );
      const whole = (await call('regulator', 'GET', '/catalog/lineage')).json();
      assert.ok(whole.edges.length >= 2 && whole.nodes.some((n: Json) => n.id === his));
    });

    test('discovery of a CSV: proposals with evidence; steward confirms, overrides only with a reason', async () => {
      const a = (await call('steward', 'POST', '/catalog/assets', asset('随访登记表'))).json();
      const csvHeaders = { 'content-type': 'text/csv; charset=utf-8' };
      const found = await call('steward', 'POST', `/catalog/assets/${a.id}/discover`, CSV, csvHeaders);
      assert.equal(found.statusCode, 200, found.body);
      const { report, asset: withFields } = found.json();
      const byHeader = Object.fromEntries(report.columns.map((c: Json) => [c.header, c]));
      assert.equal(byHeader['身份证号'].proposedType, 'resident-id');
      assert.equal(byHeader['手机号'].proposedType, 'mobile');
      assert.ok(byHeader['身份证号'].confidence > 0.8);
      assert.ok(byHeader['身份证号'].candidates[0].valueEvidence > 0);
      assert.ok(!JSON.stringify(report).includes(RESIDENT_ID), 'examples are masked');
      const idField = withFields.fields.find((f: Json) => f.name === '身份证号');
      assert.equal(idField.status, 'proposed');
      assert.equal(idField.grade.scheme, 'seed-3-grade');

      const noReason = await call('steward', 'POST', `/catalog/assets/${a.id}/fields/备注/decision`, {
        action: 'override',
        grade: 'grade-2',
      });
      assert.equal(noReason.statusCode, 400);
      assert.match(noReason.json().detail, /needs a reason/);
      assert.match(noReason.json().messages['zh-CN'], /理由/);
      const badGrade = await call('steward', 'POST', `/catalog/assets/${a.id}/fields/备注/decision`, {
        action: 'override',
        grade: 'grade-7',
        reason: '自由文本',
      });
      assert.equal(badGrade.statusCode, 400);
      assert.match(badGrade.json().detail, /grade-7.*grade-3, grade-2, grade-1/);
      const override = await call(
        'steward',
        'POST',
        `/catalog/assets/${encodeURIComponent(a.id)}/fields/${encodeURIComponent('备注')}/decision`,
        {
          action: 'override',
          grade: 'grade-2',
          identifierType: 'none',
          reason: '备注中可能出现病情描述',
        },
      );
      assert.equal(override.statusCode, 200, override.body);
      const confirm = await call('steward', 'POST', `/catalog/assets/${a.id}/fields/身份证号/decision`, {
        action: 'confirm',
      });
      assert.equal(confirm.statusCode, 200, confirm.body);
      const unknownField = await call('steward', 'POST', `/catalog/assets/${a.id}/fields/nope/decision`, {
        action: 'confirm',
      });
      assert.equal(unknownField.statusCode, 404);

      const fields = (await call('regulator', 'GET', `/catalog/assets/${a.id}/fields`)).json();
      const note = fields.fields.find((f: Json) => f.name === '备注');
      assert.equal(note.status, 'overridden');
      assert.deepEqual(note.grade, { scheme: 'seed-3-grade', grade: 'grade-2' });
      assert.equal(fields.fields.find((f: Json) => f.name === '身份证号').status, 'confirmed');
      const stewardId = (await ts.system.directory.findUser(ts.system.tenantId, 'steward'))!.id;
      assert.deepEqual(
        fields.decisions.map((d: Json) => [d.field, d.action, d.decidedBy]),
        [
          ['备注', 'override', stewardId],
          ['身份证号', 'confirm', stewardId],
        ],
      );
      assert.ok(fields.decisions.every((d: Json) => d.decidedAt > 0 && d.reason.length > 0));

      // A second discovery keeps the steward's decisions.
      const again = (
        await call('steward', 'POST', `/catalog/assets/${a.id}/discover`, CSV, csvHeaders)
      ).json();
      assert.equal(again.asset.fields.find((f: Json) => f.name === '备注').status, 'overridden');
    });

    test('discovery refuses malformed CSV (row and column), unknown schemes and other content types', async () => {
      const a = (await call('steward', 'POST', '/catalog/assets', asset('坏文件'))).json();
      const csv = { 'content-type': 'text/csv' };
      const broken = await call(
        'steward',
        'POST',
        `/catalog/assets/${a.id}/discover`,
        'name,phone,city\n张三,13800000000,北京\n李四,13900000000\n',
        csv,
      );
      assert.equal(broken.statusCode, 400);
      assert.equal(broken.json().line, 3);
      assert.equal(broken.json().column, 'city');
      assert.match(broken.json().detail, /line 3, column city/);
      const quote = await call('steward', 'POST', `/catalog/assets/${a.id}/discover`, 'a,b\n"x,1\n', csv);
      assert.equal(quote.statusCode, 400);
      assert.match(quote.json().detail, /malformed CSV at line/);
      const scheme = await call('steward', 'POST', `/catalog/assets/${a.id}/discover?scheme=nist`, CSV, csv);
      assert.equal(scheme.statusCode, 400);
      assert.match(scheme.json().detail, /unknown grading scheme "nist"; valid schemes: .*hipaa/);
      const json = await call('steward', 'POST', `/catalog/assets/${a.id}/discover`, { csv: CSV });
      assert.equal(json.statusCode, 415);
      const empty = await call('steward', 'POST', `/catalog/assets/${a.id}/discover`, '', csv);
      assert.equal(empty.statusCode, 400);
      const gbt = await call(
        'steward',
        'POST',
        `/catalog/assets/${a.id}/discover?scheme=gbt-39725-2020`,
        CSV,
        csv,
      );
      assert.equal(gbt.statusCode, 200, gbt.body);
      assert.equal(gbt.json().report.scheme, 'gbt-39725-2020');
    });

    test('the clinical store’s collections register themselves with current volumes and grades', async () => {
      const fhir = (method: string, url: string, body?: Json) =>
        body === undefined
          ? call('clinician', method, url)
          : call('clinician', method, url, JSON.stringify(body), { 'content-type': 'application/fhir+json' });
      const patients: string[] = [];
      for (const [i, family] of ['钱', '孙', '周'].entries()) {
        const r = await fhir('POST', '/fhir/Patient', {
          resourceType: 'Patient',
          name: [{ family, given: ['测试'] }],
          birthDate: `198${i}-01-01`,
        });
        assert.equal(r.statusCode, 201, r.body);
        patients.push(r.json().id);
      }
      const condition = (code: string, patient: string) => ({
        resourceType: 'Condition',
        subject: { reference: `Patient/${patient}` },
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code }] },
      });
      const hiv = await fhir('POST', '/fhir/Condition', condition('B20', patients[0]!));
      assert.equal(hiv.statusCode, 201, hiv.body);
      assert.equal((await fhir('POST', '/fhir/Condition', condition('I10', patients[1]!))).statusCode, 201);

      const list = async () =>
        Object.fromEntries(
          ((await call('regulator', 'GET', '/catalog/assets?kind=fhir-collection')).json() as Json[]).map(
            (x) => [x.naturalKey, x],
          ),
        );
      let collections = await list();
      assert.equal(collections['fhir:Patient'].volume.count, 3);
      assert.equal(collections['fhir:Condition'].volume.count, 2);
      assert.deepEqual(collections['fhir:Condition'].sensitivity, {
        scheme: 'seed-3-grade',
        grade: 'grade-1',
      });
      const counts = collections['fhir:Condition'].gradeCounts as Record<string, number>;
      assert.equal(counts['grade-1'], 1);
      assert.equal(
        Object.values(counts).reduce((n, x) => n + x, 0),
        2,
      );

      // A delete and another write are counted at the next read.
      assert.equal((await fhir('DELETE', `/fhir/Condition/${hiv.json().id}`)).statusCode, 204);
      assert.equal(
        (await fhir('POST', '/fhir/Patient', { resourceType: 'Patient', name: [{ family: '吴' }] }))
          .statusCode,
        201,
      );
      collections = await list();
      assert.equal(collections['fhir:Patient'].volume.count, 4);
      assert.equal(collections['fhir:Condition'].volume.count, 1);
      assert.equal(collections['fhir:Condition'].gradeCounts['grade-1'] ?? 0, 0);
      const history = (
        await call('regulator', 'GET', `/catalog/assets/${collections['fhir:Condition'].id}/history`)
      ).json();
      assert.ok(history.some((v: Json) => v.action === 'volume' && v.changes.volume));
      // Their keys are the store's own.
      const taken = await call(
        'steward',
        'POST',
        '/catalog/assets',
        asset('fake', { naturalKey: 'fhir:Patient' }),
      );
      assert.equal(taken.statusCode, 400);
    });

    test('inventory as JSON and CSV; each read and every change is in the ledger, without values', async () => {
      const json = await call('privacy', 'GET', '/catalog/inventory');
      assert.equal(json.statusCode, 200);
      const inv = json.json();
      assert.ok(inv.totals.assets >= 5);
      assert.ok(inv.assets.some((r: Json) => r.name === '门诊就诊表' && r.purpose === '科研'));
      const csv = await call('regulator', 'GET', '/catalog/inventory?format=csv');
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /^text\/csv/);
      assert.match(csv.headers['content-disposition'] as string, /custodia-inventory-\d{4}-\d{2}-\d{2}\.csv/);
      assert.ok(csv.body.startsWith('\ufeff资产编号/id,资产名称/name'));
      assert.equal(csv.body.trim().split('\n').length, inv.totals.assets + 1);
      const byAccept = await call('regulator', 'GET', '/catalog/inventory', undefined, {
        accept: 'text/csv',
      });
      assert.match(byAccept.headers['content-type'] as string, /^text\/csv/);

      const entries = await ledgerEntries();
      const reads = entries.filter((e) => e.action === 'catalog.inventory.read');
      assert.equal(reads.length, 3);
      const regulator = (await ts.system.directory.findUser(ts.system.tenantId, 'regulator'))!.id;
      assert.ok(reads.some((e) => e.actor === regulator && e.kind === 'read' && /format csv/.test(e.reason)));
      for (const action of [
        'catalog.asset.register',
        'catalog.asset.update',
        'catalog.lineage.add',
        'catalog.asset.discover',
        'catalog.field.override',
        'catalog.field.confirm',
      ])
        assert.ok(
          entries.some(
            (e) => e.action === action && e.kind === 'write' && e.resources[0].startsWith('CatalogAsset/'),
          ),
          action,
        );
      const text = JSON.stringify(entries);
      for (const value of [RESIDENT_ID, '13812345678', '张伟', '备注中可能出现病情描述'])
        assert.ok(!text.includes(value), `the ledger holds no ${value}`);
    });
  });
}
