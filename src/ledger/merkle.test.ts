import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  consistencyPath,
  inclusionPath,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { toHex } from './primitives.js';
import { CompactTree } from './tree.js';

/** MTH straight from RFC 9162 §2.1.1, recursing on the leaf data itself: the reference. */
function referenceRoot(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length === 0) return EMPTY_ROOT;
  if (entries.length === 1) return leafHash(entries[0]!);
  let k = 1;
  while (k * 2 < entries.length) k *= 2;
  return nodeHash(referenceRoot(entries.slice(0, k)), referenceRoot(entries.slice(k)));
}

/** PATH(m, D[n]) straight from §2.1.3.1 over leaf data. */
function referencePath(m: number, entries: readonly Uint8Array[]): Uint8Array[] {
  const n = entries.length;
  if (n <= 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k
    ? [...referencePath(m, entries.slice(0, k)), referenceRoot(entries.slice(k))]
    : [...referencePath(m - k, entries.slice(k)), referenceRoot(entries.slice(0, k))];
}

/** SUBPROOF(m, D[n], b) straight from §2.1.4.1. */
function referenceSubproof(m: number, entries: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = entries.length;
  if (m === n) return b ? [] : [referenceRoot(entries)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m <= k
    ? [...referenceSubproof(m, entries.slice(0, k), b), referenceRoot(entries.slice(k))]
    : [...referenceSubproof(m - k, entries.slice(k), false), referenceRoot(entries.slice(0, k))];
}

const entriesOf = (n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => new TextEncoder().encode(`entry ${i}`));

function treeOf(entries: readonly Uint8Array[], baseLevel = 0): CompactTree {
  const tree = new CompactTree(baseLevel);
  for (const e of entries) tree.append(leafHash(e));
  return tree;
}

const hex = (list: readonly Uint8Array[]) => list.map(toHex);

// The inputs of the Certificate Transparency / Trillian reference tests (RFC 6962 Merkle trees).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => new Uint8Array(Buffer.from(h, 'hex')));

// Their published roots for sizes 1..8, as in CT's merkle_tree_test.cc and Trillian's tests.
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('known-good vectors', () => {
  test('the empty tree hashes to SHA-256 of nothing', () => {
    assert.equal(toHex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(toHex(new CompactTree().root()), toHex(EMPTY_ROOT));
  });

  test('the CT 8-leaf tree has its published roots at every size', () => {
    for (let n = 1; n <= 8; n++) {
      assert.equal(toHex(referenceRoot(CT_LEAVES.slice(0, n))), CT_ROOTS[n - 1], `reference, size ${n}`);
      assert.equal(toHex(treeOf(CT_LEAVES.slice(0, n)).root()), CT_ROOTS[n - 1], `tree, size ${n}`);
    }
  });

  test('the CT inclusion path for leaf 0 of 8 and consistency 6→8', () => {
    const tree = treeOf(CT_LEAVES);
    // Published in CT's tests: path(0, 8) and proof(6, 8).
    assert.deepEqual(hex(inclusionPath(tree.source(), 0, 8)), [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    assert.deepEqual(hex(consistencyPath(tree.source(), 6, 8)), [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });
});

describe('every proof up to 64 leaves agrees with the RFC definitions', () => {
  const all = entriesOf(64);
  const roots = Array.from({ length: 65 }, (_, n) => referenceRoot(all.slice(0, n)));

  for (const baseLevel of [0, 2, 4]) {
    test(`inclusion, base level ${baseLevel}`, () => {
      const tree = treeOf(all, baseLevel);
      const tiles = (t: number) => all.slice(t * tree.tileSize, (t + 1) * tree.tileSize).map(leafHash);
      for (let n = 1; n <= 64; n++) {
        assert.equal(toHex(tree.root(n, tiles)), toHex(roots[n]!), `root ${n}`);
        for (let m = 0; m < n; m++) {
          const path = inclusionPath(tree.source(tiles), m, n);
          assert.deepEqual(hex(path), hex(referencePath(m, all.slice(0, n))), `path ${m} ${n}`);
          assert.ok(verifyInclusion(m, n, leafHash(all[m]!), path, roots[n]!), `verify ${m} ${n}`);
        }
      }
    });

    test(`consistency, base level ${baseLevel}`, () => {
      const tree = treeOf(all, baseLevel);
      const tiles = (t: number) => all.slice(t * tree.tileSize, (t + 1) * tree.tileSize).map(leafHash);
      for (let n = 1; n <= 64; n++) {
        for (let m = 1; m <= n; m++) {
          const proof = consistencyPath(tree.source(tiles), m, n);
          const expected = m === n ? [] : referenceSubproof(m, all.slice(0, n), true);
          assert.deepEqual(hex(proof), hex(expected), `proof ${m} ${n}`);
          assert.ok(verifyConsistency(m, n, roots[m]!, roots[n]!, proof), `verify ${m} ${n}`);
        }
      }
    });
  }

  test('a wrong leaf, index, size, root or path element never verifies', () => {
    const tree = treeOf(all);
    for (let n = 1; n <= 40; n++) {
      for (let m = 0; m < n; m++) {
        const path = inclusionPath(tree.source(), m, n);
        const leaf = leafHash(all[m]!);
        assert.equal(verifyInclusion(m, n, leafHash(all[(m + 1) % 64]!), path, roots[n]!), false);
        if (n > 1) assert.equal(verifyInclusion((m + 1) % n, n, leaf, path, roots[n]!), false);
        assert.equal(verifyInclusion(m, n, leaf, path, roots[n === 64 ? 1 : n + 1]!), false);
        assert.equal(rootFromInclusionProof(m, n, leaf, [...path, leaf]), undefined);
        for (let i = 0; i < path.length; i++) {
          const bad = path.map((p, j) => (j === i ? leafHash(p) : p));
          assert.equal(verifyInclusion(m, n, leaf, bad, roots[n]!), false);
        }
      }
    }
  });

  test('a consistency proof fails for a forked history or a tampered element', () => {
    const tree = treeOf(all);
    const forked = [...all];
    forked[3] = new TextEncoder().encode('rewritten');
    const forkedRoots = Array.from({ length: 65 }, (_, n) => referenceRoot(forked.slice(0, n)));
    for (let n = 5; n <= 64; n++) {
      for (let m = 4; m < n; m++) {
        const proof = consistencyPath(tree.source(), m, n);
        assert.equal(verifyConsistency(m, n, forkedRoots[m]!, roots[n]!, proof), false);
        assert.equal(verifyConsistency(m, n, roots[m]!, forkedRoots[n]!, proof), false);
        for (let i = 0; i < proof.length; i++) {
          const bad = proof.map((p, j) => (j === i ? leafHash(p) : p));
          assert.equal(verifyConsistency(m, n, roots[m]!, roots[n]!, bad), false, `${m} ${n} ${i}`);
        }
        assert.equal(verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1)), false);
      }
    }
    assert.equal(verifyConsistency(3, 3, roots[3]!, roots[4]!, []), false);
    assert.equal(verifyConsistency(0, 9, EMPTY_ROOT, roots[9]!, [roots[1]!]), false);
    assert.equal(verifyConsistency(5, 4, roots[5]!, roots[4]!, []), false);
  });

  test('a tree restored from base nodes and tail continues identically (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 4 }), (size, baseLevel) => {
        const full = treeOf(all.slice(0, size), baseLevel);
        const tile = 2 ** baseLevel;
        const complete = Math.floor(size / tile);
        const baseNodes = Array.from({ length: complete }, (_, i) =>
          referenceRoot(all.slice(i * tile, (i + 1) * tile)),
        );
        const restored = CompactTree.restore(
          baseLevel,
          baseNodes,
          all.slice(complete * tile, size).map(leafHash),
        );
        for (const e of all.slice(size)) restored.append(leafHash(e));
        assert.equal(toHex(restored.root()), toHex(roots[64]!));
        assert.equal(toHex(full.root()), toHex(roots[size]!));
      }),
    );
  });
});

describe('appending whole subtrees (verification workers)', () => {
  const all = entriesOf(64);
  const roots = Array.from({ length: 65 }, (_, n) => referenceRoot(all.slice(0, n)));

  /** A subtree's nodes from `baseLevel` up, level by level, as a worker packs them. */
  function packedNodes(leaves: readonly Uint8Array[], baseLevel: number): Buffer {
    const levels: Uint8Array[][] = [leaves.map(leafHash)];
    while (levels.at(-1)!.length > 1) {
      const row = levels.at(-1)!;
      levels.push(Array.from({ length: row.length / 2 }, (_, i) => nodeHash(row[2 * i]!, row[2 * i + 1]!)));
    }
    return Buffer.concat(levels.slice(baseLevel).flat());
  }

  test('a tree fed leaves and aligned subtrees in any mix has the reference roots (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 24 }),
        (baseLevel, steps) => {
          const tree = new CompactTree(baseLevel);
          for (const step of steps) {
            // A step appends the largest aligned subtree of at most 2^step leaves that fits, or
            // one leaf when that would be below the base level.
            let level = step;
            while (level > 0 && (tree.size % 2 ** level !== 0 || tree.size + 2 ** level > 64)) level--;
            if (tree.size >= 64) break;
            if (level < baseLevel) tree.append(leafHash(all[tree.size]!));
            else {
              const from = tree.size;
              tree.appendSubtree(level, packedNodes(all.slice(from, from + 2 ** level), baseLevel));
            }
            assert.equal(toHex(tree.root()), toHex(roots[tree.size]!));
          }
          for (let size = 0; size <= tree.size; size++)
            assert.equal(
              toHex(
                tree.root(size, (t) => all.slice(t * tree.tileSize, (t + 1) * tree.tileSize).map(leafHash)),
              ),
              toHex(roots[size]!),
            );
        },
      ),
    );
  });

  test('a subtree that is not aligned, below the base level or of the wrong size is refused', () => {
    const tree = treeOf(all.slice(0, 4), 2);
    assert.throws(() => tree.appendSubtree(3, packedNodes(all.slice(4, 12), 2)), /multiple of 8/);
    assert.throws(() => tree.appendSubtree(1, packedNodes(all.slice(4, 6), 1)), /below the base level/);
    assert.throws(() => tree.appendSubtree(2, packedNodes(all.slice(4, 12), 2)), /has 1 nodes/);
    tree.appendSubtree(2, packedNodes(all.slice(4, 8), 2));
    assert.equal(toHex(tree.root()), toHex(roots[8]!));
  });
});
