import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/index.js';
import { MAX_INSTANT } from '../fhir/index.js';
import { testDialects } from '../store/testing.js';
import { careHoldsUntil } from './care.js';
import type { Records } from './records.js';
import {
  createEncounter,
  createPatient,
  createPractitioner,
  openTestRecords,
  type TestRecords,
} from './testing.js';

const DAY_MS = 86_400_000;
const WINDOW = 90 * DAY_MS;
/** The day the visits below begin. */
const VISIT = Date.UTC(2026, 2, 1, 1);
const HOUR_MS = 3_600_000;
/** When a relationship from an encounter ending at `end` lapses: the end instant is indexed to its last millisecond. */
const lapses = (end: number) => end + 1 + WINDOW;

for (const { dialect, skip } of testDialects()) {
  describe(`care relationships in time (${dialect})`, { skip }, () => {
    let t: TestRecords;
    let records: Records;
    const doctor = { id: '' };
    const patients = {
      visited: '',
      open: '',
      admitted: '',
      noPeriod: '',
      ofGp: '',
      future: '',
      cancelled: '',
      inError: '',
    };

    const until = (patient: string, now: number, afterEndMs = WINDOW) =>
      careHoldsUntil(records, [doctor.id], [patient], { now, afterEndMs });

    before(async () => {
      t = await openTestRecords(dialect, new ManualClock(VISIT));
      records = t.records;
      doctor.id = await createPractitioner(records, 'CN-110-2020-0001');
      const seen = async (status: string, period: { start?: number; end?: number }) => {
        const patient = await createPatient(records);
        await createEncounter(records, { patient, practitioner: doctor.id, status, ...period });
        return patient;
      };
      patients.visited = await seen('finished', { start: VISIT, end: VISIT + HOUR_MS });
      patients.open = await seen('finished', { start: VISIT });
      patients.admitted = await seen('in-progress', { start: VISIT });
      patients.noPeriod = await seen('finished', {});
      patients.future = await seen('planned', { start: VISIT + 10 * DAY_MS });
      patients.ofGp = await createPatient(records, doctor.id);
      patients.cancelled = await seen('cancelled', { start: VISIT, end: VISIT + HOUR_MS });
      patients.inError = await seen('entered-in-error', { start: VISIT });
    });
    after(() => t?.dispose());

    test('an encounter holds from its start until the window after its end, then no longer', async () => {
      const end = VISIT + HOUR_MS;
      assert.equal(await until(patients.visited, VISIT - 1), undefined, 'not before it starts');
      assert.equal(await until(patients.visited, VISIT + 30 * 60_000), lapses(end), 'during the visit');
      assert.equal(await until(patients.visited, lapses(end) - 1), lapses(end), 'on the last day');
      assert.equal(await until(patients.visited, lapses(end)), undefined, 'once the window has passed');
      assert.equal(await until(patients.visited, end + 1, 0), undefined, 'a window of 0: the visit only');
    });

    test('a finished encounter without an end counts from its start', async () => {
      assert.equal(await until(patients.open, VISIT + 89 * DAY_MS), VISIT + WINDOW);
      assert.equal(await until(patients.open, VISIT + 91 * DAY_MS), undefined);
    });

    test('a stay still under way holds however long ago it began', async () => {
      assert.equal(await until(patients.admitted, VISIT + 400 * DAY_MS), MAX_INSTANT);
      assert.equal(await until(patients.admitted, VISIT - 1), undefined, 'not before it starts');
    });

    test('a planned encounter holds from its start; one without a period makes none', async () => {
      assert.equal(await until(patients.future, VISIT + DAY_MS), undefined);
      assert.ok((await until(patients.future, VISIT + 10 * DAY_MS)) !== undefined);
      assert.equal(await until(patients.noPeriod, VISIT), undefined);
    });

    test('a cancelled visit, or one entered in error, makes no relationship', async () => {
      assert.equal(await until(patients.cancelled, VISIT + 30 * 60_000), undefined);
      assert.equal(await until(patients.inError, VISIT + 30 * 60_000), undefined);
    });

    test('the general practitioner relationship does not expire', async () => {
      assert.equal(await until(patients.ofGp, VISIT + 20 * 365 * DAY_MS), MAX_INSTANT);
    });

    test('the latest relationship wins; another practitioner has none', async () => {
      const later = VISIT + 60 * DAY_MS;
      await createEncounter(records, {
        patient: patients.visited,
        practitioner: doctor.id,
        status: 'finished',
        start: later,
        end: later + HOUR_MS,
      });
      assert.equal(await until(patients.visited, later + DAY_MS), lapses(later + HOUR_MS));
      const colleague = await createPractitioner(records, 'CN-110-2020-0002');
      const found = await careHoldsUntil(records, [colleague], [patients.visited], {
        now: later + DAY_MS,
        afterEndMs: WINDOW,
      });
      assert.equal(found, undefined);
    });
  });
}
