import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getScheme } from '../classify/index.js';
import type { OrgId, TenantId, UserId } from '../core/index.js';
import type { Principal } from '../identity/index.js';
import { isOwnRecord, ownPatientId, patientDataFactsOf, principalFactsOf } from './facts.js';
import { compilePack, defaultPolicyFiles } from './pack.js';
import { PolicyDecisionPoint } from './pdp.js';
import { contextOf } from './testing.js';

const principal = (roles: Principal['roles'], patientRef: string | null = null): Principal => ({
  tenantId: 't' as TenantId,
  userId: 'u1' as UserId,
  username: 'wang',
  kind: 'person',
  orgId: 'h1' as OrgId,
  roles,
  qualifications: [{ type: 'practising-licence', value: 'L-1' }],
  department: 'cardiology',
  patientRef,
  credentialId: 'c1',
  purposeOfUse: 'TREAT',
});

describe('policy: facts from what guard holds', () => {
  it('turns a principal and a stored version into a request the pack decides', () => {
    const compiled = compilePack(defaultPolicyFiles());
    assert.ok(compiled.ok);
    const pdp = new PolicyDecisionPoint(compiled.pack, 1, { scheme: getScheme('seed-3-grade') });
    const facts = principalFactsOf(principal(['clinician']), { type: 'hospital', divisionCode: '110105' });
    assert.equal(facts.region, '110105');
    const resource = patientDataFactsOf(
      { resourceType: 'Observation', id: 'o1', orgId: 'h1', patientKey: 'p1', grade: 'seed-3-grade:grade-2' },
      { category: 'health-status', labels: ['N'] },
    );
    assert.equal(resource.id, 'Observation/o1');
    assert.equal(
      pdp.decide({ action: 'read', principal: facts, resource, context: contextOf() }).permit,
      true,
    );
  });

  it('knows a patient user’s own record', () => {
    assert.equal(isOwnRecord(principal(['patient'], 'Patient/p1'), 'p1'), true);
    assert.equal(isOwnRecord(principal(['patient'], 'Patient/p1'), 'p2'), false);
    assert.equal(isOwnRecord(principal(['clinician'], 'Patient/p1'), 'p1'), false);
    assert.equal(isOwnRecord(principal(['patient']), 'p1'), false);
  });

  it('knows the records the patient index links to it as the patient’s own too', () => {
    const linked = ['p1', 'p7'];
    assert.equal(isOwnRecord(principal(['patient'], 'Patient/p1'), 'p7', linked), true);
    assert.equal(isOwnRecord(principal(['patient'], 'Patient/p1'), 'p2', linked), false);
    assert.equal(isOwnRecord(principal(['clinician'], 'Patient/p1'), 'p7', linked), false);
    assert.equal(ownPatientId(principal(['patient'], 'Patient/p1')), 'p1');
    assert.equal(ownPatientId(principal(['nurse'], 'Patient/p1')), undefined);
  });
});
