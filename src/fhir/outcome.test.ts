import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CustodiaError, badRequest, forbidden } from '../core/index.js';
import { capabilityStatement } from './capability.js';
import { DENIAL_REASON_SYSTEM, outcomeForError, outcomeFromError } from './outcome.js';
import { createRegistry, defaultRegistry } from './registry.js';
import { FhirValidator } from './validation/validator.js';

const validator = new FhirValidator();
const r4 = new FhirValidator({ types: ['OperationOutcome', 'CapabilityStatement'] });

describe('OperationOutcome', () => {
  it('lists every validation issue with its path, English diagnostics and Chinese details', () => {
    const result = validator.validate({ resourceType: 'Patient', name: [{ given: ['a', 1] }], gender: 'x' });
    assert.equal(result.valid, false);
    const { status, outcome } = outcomeFromError(validator.error(result.valid ? [] : result.issues));
    assert.equal(status, 400);
    assert.deepEqual(
      outcome.issue.map((i) => [i.code, i.expression?.[0], i.location?.[0]]),
      [
        ['structure', 'Patient.name[0].given[1]', 'Patient.name[0].given[1]'],
        ['code-invalid', 'Patient.gender', 'Patient.gender'],
      ],
    );
    assert.match(outcome.issue[0]!.diagnostics!, /expected a string/);
    assert.match(outcome.issue[0]!.details!.text!, /字符串/);
    assert.equal(r4.validate(outcome).valid, true);
  });

  it('carries a refusal’s reason code as details.coding in Custodia’s denial-reason code system', () => {
    const { outcome } = outcomeFromError(
      forbidden('No care relationship', { zh: '无诊疗关系', extensions: { reason: 'no-care-relationship' } }),
    );
    assert.deepEqual(outcome.issue[0]!.details, {
      coding: [{ system: DENIAL_REASON_SYSTEM, code: 'no-care-relationship' }],
      text: '无诊疗关系',
    });
    assert.equal(r4.validate(outcome).valid, true);
    const bare = outcomeFromError(forbidden('No', { extensions: { reason: 'redacted' } })).outcome;
    assert.deepEqual(bare.issue[0]!.details, {
      coding: [{ system: DENIAL_REASON_SYSTEM, code: 'redacted' }],
    });
    assert.equal(outcomeFromError(forbidden('No reason given')).outcome.issue[0]!.details, undefined);
  });

  it('maps CustodiaErrors to issue types and keeps message, hint, zh and path', () => {
    const { status, outcome } = outcomeFromError(
      forbidden('Not your patient', { zh: '无权访问该患者', hint: 'Ask for access', path: 'Patient/1' }),
    );
    assert.equal(status, 403);
    assert.deepEqual(outcome.issue, [
      {
        severity: 'error',
        code: 'forbidden',
        details: { text: '无权访问该患者' },
        diagnostics: 'Not your patient. Ask for access',
        expression: ['Patient/1'],
        location: ['Patient/1'],
      },
    ]);
    assert.equal(
      outcomeFromError(new CustodiaError('payload-too-large', 'big')).outcome.issue[0]!.code,
      'too-costly',
    );
    assert.equal(outcomeFromError(new CustodiaError('gone', 'erased')).outcome.issue[0]!.code, 'deleted');
    assert.equal(outcomeFromError(badRequest('x')).outcome.issue[0]!.code, 'invalid');
  });

  it('hides the message of internal and unknown errors', () => {
    const fromPlain = outcomeFromError(new Error('connection string postgres://secret@db'));
    assert.equal(fromPlain.status, 500);
    assert.ok(!JSON.stringify(fromPlain.outcome).includes('secret'));
    const fromInternal = outcomeFromError(new CustodiaError('internal', 'row 7 of patient 张三 broke'));
    assert.ok(!JSON.stringify(fromInternal.outcome).includes('张三'));
    assert.equal(fromInternal.outcome.issue[0]!.severity, 'fatal');
  });

  it('builds an outcome from a generic status and message', () => {
    const o = outcomeForError({
      status: 404,
      message: 'No such Patient',
      zh: '患者不存在',
      path: 'Patient/9',
    });
    assert.deepEqual(o.issue[0], {
      severity: 'error',
      code: 'not-found',
      details: { text: '患者不存在' },
      diagnostics: 'No such Patient',
      expression: ['Patient/9'],
      location: ['Patient/9'],
    });
    assert.equal(outcomeForError({ status: 401, message: 'x' }).issue[0]!.code, 'login');
    assert.equal(outcomeForError({ status: 429, message: 'x' }).issue[0]!.code, 'throttled');
  });
});

describe('capabilityStatement', () => {
  const options = {
    baseUrl: 'https://custodia.example/fhir',
    software: { name: 'Custodia', version: '0.1.0' },
    date: '2026-01-01T00:00:00Z',
  };

  it('is a valid R4 CapabilityStatement listing what the registry supports', () => {
    const cs = capabilityStatement(defaultRegistry(), options);
    const result = r4.validate(cs);
    assert.equal(result.valid, true, result.valid ? '' : JSON.stringify(result.issues));
    const rest = (
      cs['rest'] as {
        resource: { type: string; searchParam: { name: string }[]; interaction: { code: string }[] }[];
        interaction: { code: string }[];
      }[]
    )[0]!;
    assert.deepEqual(
      rest.resource.map((r) => r.type),
      [...defaultRegistry().types],
    );
    const observation = rest.resource.find((r) => r.type === 'Observation')!;
    assert.deepEqual(observation.searchParam.map((p) => p.name).sort(), [
      'category',
      'code',
      'date',
      'identifier',
      'patient',
    ]);
    assert.deepEqual(
      rest.interaction.map((i) => i.code),
      ['transaction', 'batch'],
    );
  });

  it('tells only what a restricted registry offers', () => {
    const cs = capabilityStatement(
      createRegistry({ types: ['Patient'], interactions: ['read', 'search-type'], operations: [] }),
      options,
    );
    const rest = (
      cs['rest'] as { resource: { type: string; interaction: { code: string }[]; operation?: unknown }[] }[]
    )[0]!;
    assert.deepEqual(
      rest.resource.map((r) => [r.type, r.interaction.map((i) => i.code)]),
      [['Patient', ['read', 'search-type']]],
    );
    assert.equal(rest.resource[0]!.operation, undefined);
  });
});
