import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidResidentId, makeResidentId, parseResidentId, residentIdCheckChar } from './resident-id.js';

test('check characters match the GB 11643 sample numbers', () => {
  // The standard's example 11010519491231002X and a widely published sample 440524188001010014.
  assert.equal(residentIdCheckChar('11010519491231002'), 'X');
  assert.equal(residentIdCheckChar('44052418800101001'), '4');
  assert.deepEqual(parseResidentId('11010519491231002X'), {
    divisionCode: '110105',
    birthDate: '1949-12-31',
    sex: 'female',
  });
});

test('a wrong check character, impossible date or bad shape is rejected', () => {
  assert.equal(isValidResidentId('110105194912310021'), false);
  assert.equal(
    isValidResidentId('11010519490231002X'.slice(0, 17) + residentIdCheckChar('11010519490231002')),
    false,
  );
  assert.equal(isValidResidentId('1101051949123100'), false);
});

test('every generated number validates and changing one digit breaks it', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 110000, max: 659999 }),
      fc.date({ min: new Date('1900-01-01'), max: new Date('2025-12-31'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 0, max: 16 }),
      (division, birth, seq, position) => {
        const id = makeResidentId(String(division), birth.toISOString().slice(0, 10), seq);
        assert.ok(isValidResidentId(id));
        const digit = Number(id[position]);
        const changed = id.slice(0, position) + String((digit + 1) % 10) + id.slice(position + 1);
        // MOD 11-2 detects every single-digit substitution.
        assert.notEqual(residentIdCheckChar(changed.slice(0, 17)), id[17]);
      },
    ),
  );
});
