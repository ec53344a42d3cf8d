/**
 * C2SP tlog-checkpoint: a signed note whose text is the origin, the tree size and the base64
 * root hash (then optional extension lines, which this log never writes).
 */
import { HASH_SIZE } from './merkle.js';
import { openNote, parseNote, type NoteSigner, type Parsed, type VerifierKey } from './note.js';
import { fromBase64, toBase64 } from './primitives.js';

export interface TreeHead {
  origin: string;
  size: number;
  root: Uint8Array;
}

export interface Checkpoint extends TreeHead {
  /** The checkpoint body: the signed note text. */
  body: string;
  /** The whole signed note, body, blank line and signature lines. */
  note: string;
}

export function checkpointBody(head: TreeHead): string {
  if (head.origin.length === 0 || head.origin.includes('\n')) throw new TypeError('bad origin line');
  if (!Number.isSafeInteger(head.size) || head.size < 0) throw new TypeError('bad tree size');
  if (head.root.length !== HASH_SIZE) throw new TypeError('bad root hash');
  return `${head.origin}\n${head.size}\n${toBase64(head.root)}\n`;
}

export function signCheckpoint(head: TreeHead, signer: NoteSigner): Checkpoint {
  const body = checkpointBody(head);
  return { ...head, root: new Uint8Array(head.root), body, note: `${body}\n${signer.signatureLine(body)}\n` };
}

export function parseCheckpointBody(body: string): Parsed<TreeHead> {
  const lines = body.split('\n');
  if (lines.pop() !== '' || lines.length < 3)
    return { ok: false, problem: 'a checkpoint has an origin, a size and a root line' };
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) return { ok: false, problem: 'the origin line is empty' };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    return { ok: false, problem: `"${sizeText.slice(0, 30)}" is not a tree size` };
  const root = fromBase64(rootText);
  if (!root || root.length !== HASH_SIZE)
    return { ok: false, problem: 'the root line is not a base64 SHA-256 hash' };
  if (extensions.some((l) => l.length === 0))
    return { ok: false, problem: 'extension lines must not be empty' };
  return { ok: true, value: { origin, size: Number(sizeText), root } };
}

/** Parses a checkpoint note without checking any signature (for routing by origin). */
export function parseCheckpoint(note: string): Parsed<Checkpoint> {
  const parsed = parseNote(note);
  if (!parsed.ok) return parsed;
  const head = parseCheckpointBody(parsed.value.text);
  if (!head.ok) return head;
  return { ok: true, value: { ...head.value, body: parsed.value.text, note } };
}

/** Opens a checkpoint signed by the log's key: the origin must match and the signature verify. */
export function openCheckpoint(
  note: string,
  origin: string,
  logKeys: readonly VerifierKey[],
): Parsed<Checkpoint> {
  const opened = openNote(note, logKeys);
  if (!opened.ok) return opened;
  const head = parseCheckpointBody(opened.value.note.text);
  if (!head.ok) return head;
  if (head.value.origin !== origin)
    return { ok: false, problem: `the checkpoint is for log "${head.value.origin}", not "${origin}"` };
  return { ok: true, value: { ...head.value, body: opened.value.note.text, note } };
}
