import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePack, custodiaSchema, defaultPolicyFiles, describeProblems, packDigest } from './pack.js';

const PERMIT = `@id("p") permit (principal, action == Custodia::Action::"read", resource) when { principal.roles.contains("clinician") };`;

const problemsOf = (files: Record<string, string>) => {
  const result = compilePack(files);
  assert.equal(result.ok, false, 'the pack is rejected');
  return result.ok ? [] : result.problems;
};

describe('policy: packs validate against the schema', () => {
  it('ships a default pack that validates, with reasons and messages on every forbid', () => {
    const result = compilePack(defaultPolicyFiles());
    assert.ok(result.ok, result.ok ? '' : describeProblems(result.problems));
    const { access, obligations, digest } = result.pack;
    assert.ok(access.size >= 20 && obligations.size >= 5);
    for (const p of access.values())
      if (p.effect === 'forbid') {
        assert.ok(p.annotations.reason, `${p.id} names a reason`);
        assert.ok(p.annotations.en && p.annotations.zh, `${p.id} says why in en and zh`);
      }
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(digest, packDigest(defaultPolicyFiles()));
  });

  it('knows which attributes the policies read (the cache key) and which they do not', () => {
    const result = compilePack(defaultPolicyFiles());
    assert.ok(result.ok);
    const { reads } = result.pack;
    assert.ok(reads.context.attrs.has('purpose'));
    // Sets tested for literal members key on those memberships: a licence number is not a key.
    assert.ok(reads.principal.members.get('roles')?.has('clinician'));
    assert.deepEqual([...(reads.principal.members.get('qualifications') ?? [])], ['practising-licence']);
    assert.equal(reads.principal.attrs.has('qualifications'), false);
    // Numbers compared with literals key on the outcomes: 08:00 and 19:00 are one key, 21:00 another.
    assert.deepEqual(reads.context.comparisons.get('hour'), [
      { op: '<', value: 8 },
      { op: '>=', value: 20 },
    ]);
    assert.equal(reads.context.attrs.has('hour'), false);
    // Nothing in the default pack names a patient or a user: decisions are shared across them.
    assert.equal(reads.resource.attrs.has('patient'), false);
    assert.equal(reads.principal.whole || reads.resource.whole || reads.context.whole, false);
    const custom = compilePack({
      'a.cedar': `${PERMIT}\n@id("q") permit (principal == Custodia::User::"u1", action, resource is Custodia::PatientData) when { resource.patient == "p9" };`,
    });
    assert.ok(custom.ok);
    assert.equal(custom.pack.reads.principal.whole, true);
    assert.ok(custom.pack.reads.resource.attrs.has('patient'));
  });

  it('rejects an attribute the schema does not have, with Cedar’s message', () => {
    const problems = problemsOf({
      'a.cedar': `${PERMIT}\n@id("bad") permit (principal, action, resource) when { principal.shoeSize == 42 };`,
    });
    assert.equal(problems[0]?.policy, 'bad');
    assert.equal(problems[0]?.file, 'a.cedar');
    assert.match(problems[0]!.message, /shoeSize/);
  });

  it('rejects a type error (a string compared as a number)', () => {
    const problems = problemsOf({
      'a.cedar': `${PERMIT}\n@id("t") forbid (principal, action, resource) when { context.purpose < 3 };`,
    });
    assert.ok(problems.some((p) => p.policy === 't'));
  });

  it('rejects an unknown action and an unknown entity type', () => {
    assert.ok(
      problemsOf({
        'a.cedar': `${PERMIT}\npermit (principal, action == Custodia::Action::"steal", resource);`,
      }).length > 0,
    );
    assert.ok(
      problemsOf({ 'a.cedar': `${PERMIT}\npermit (principal is Custodia::Robot, action, resource);` })
        .length > 0,
    );
  });

  it('rejects text that does not parse, naming the file', () => {
    const problems = problemsOf({ 'broken.cedar': 'permit (principal, action, resource) when { ' });
    assert.equal(problems[0]?.file, 'broken.cedar');
  });

  it('rejects duplicate ids, forbids with obligations, unknown obligations and bad mask fields', () => {
    assert.match(describeProblems(problemsOf({ 'a.cedar': `${PERMIT}\n${PERMIT}` })), /more than one policy/);
    assert.match(
      describeProblems(
        problemsOf({
          'a.cedar': `${PERMIT}\n@id("o") @obligation("mask") @fields("name") forbid (principal, action, resource);`,
        }),
      ),
      /must be a permit/,
    );
    assert.match(
      describeProblems(
        problemsOf({
          'a.cedar': `${PERMIT}\n@id("o") @obligation("teleport") permit (principal, action, resource);`,
        }),
      ),
      /@obligation must be one of/,
    );
    assert.match(
      describeProblems(
        problemsOf({
          'a.cedar': `${PERMIT}\n@id("o") @obligation("mask") @fields("name shoe") permit (principal, action, resource);`,
        }),
      ),
      /unknown: shoe/,
    );
    assert.match(
      describeProblems(
        problemsOf({
          'a.cedar': `${PERMIT}\n@id("o") @obligation("audit") @level("loud") permit (principal, action, resource);`,
        }),
      ),
      /@level/,
    );
  });

  it('rejects an empty pack and a pack that permits nothing', () => {
    assert.ok(problemsOf({}).length > 0);
    assert.match(
      describeProblems(problemsOf({ 'a.cedar': '@id("f") forbid (principal, action, resource);' })),
      /permits nothing/,
    );
  });

  it('has a schema that parses', () => {
    assert.match(custodiaSchema(), /namespace Custodia/);
  });
});
