/**
 * The policy tables come with the system's migrations (ALL_MIGRATIONS), in order with every other
 * module's, on both dialects; the policy module opens on them and decides.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock, type TenantId } from '../src/core/index.js';
import { getScheme } from '../src/classify/index.js';
import { ALL_MIGRATIONS } from '../src/app/system.js';
import { BreakGlassService, EmergencyService, PolicyService, principalFactsOf } from '../src/policy/index.js';
import { openTestStore, testDialects, type TestStore } from '../src/store/testing.js';
import type { OrgId, UserId } from '../src/core/index.js';

const TENANT = 'default' as TenantId;

for (const { dialect, skip } of testDialects()) {
  describe(`policy in the system's migrations (${dialect})`, { skip }, () => {
    let t: TestStore;
    before(async () => {
      t = await openTestStore(dialect, ALL_MIGRATIONS);
    });
    after(async () => t.dispose());

    it('opens the policy store, break-glass and emergencies, and decides', async () => {
      assert.ok(ALL_MIGRATIONS.some((m) => m.name.includes('_policy_')));
      const clock = new ManualClock(Date.UTC(2026, 10, 23, 2));
      const policies = await PolicyService.open({
        store: t.store,
        tenant: TENANT,
        scheme: getScheme('seed-3-grade'),
        clock,
      });
      const glass = await BreakGlassService.open({ store: t.store, tenant: TENANT, clock });
      const emergencies = await EmergencyService.open({ store: t.store, tenant: TENANT, clock });
      const principal = principalFactsOf({
        tenantId: TENANT,
        userId: 'u-doc' as UserId,
        username: 'doc',
        kind: 'person',
        orgId: 'h1' as OrgId,
        roles: ['clinician'],
        qualifications: [{ type: 'practising-licence', value: 'L' }],
        department: null,
        patientRef: null,
        credentialId: 'c',
        purposeOfUse: 'ETREAT',
      });
      await glass.declare(
        { userId: 'u-doc', orgId: 'h1', roles: ['clinician'] },
        async () => {}, // a ledger double: the entries are not under test here
        'p1',
        'unconscious on arrival',
      );
      const decision = policies.pdp.decide({
        action: 'read',
        principal,
        resource: {
          kind: 'patient-data',
          id: 'Condition/c1',
          resourceType: 'Condition',
          grade: 'seed-3-grade:grade-1',
          category: 'health-status',
          labels: ['HIV'],
          orgId: 'h2',
          patientKey: 'p1',
        },
        context: {
          purpose: 'emergency-treatment',
          time: clock.now(),
          networkZone: 'internal',
          careRelationship: false,
          ownRecord: false,
          consent: { permit: true, version: 0 },
          breakGlass: glass.stateFor('u-doc', 'p1'),
          emergency: emergencies.covering({
            purpose: 'emergency-treatment',
            category: 'health-status',
            region: '110105',
          }),
        },
      });
      assert.ok(decision.permit);
      assert.ok(decision.obligations.some((o) => o.kind === 'audit' && o.flags.includes('break-glass')));
    });
  });
}
