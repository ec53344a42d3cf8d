/**
 * Masks in clinical free text: notes, conclusions and text documents restate who the patient is
 * (a discharge summary opens with the name, resident ID, phone and address), so a mask that
 * stopped at the structured elements would hand them out in the note beside them. The PHI
 * detector of the classification module finds the spans; each span of a masked kind gets the
 * same mask as the structured element would (张**, 110101********1234, 138****5678, address to
 * district), and every other occurrence of a masked span's text is masked too (a name is found
 * by its context once, 姓名：吕丹, and then appears bare, 患者吕丹因…). The names the resource's
 * structured elements give people (a Reference's display, a contained Patient's name) are masked
 * in its free text too, whether the detector finds them there or not. Names are masked whoever they
 * name: in free text the patient cannot be told from the doctor. Content that cannot be read as
 * text (a PDF, an image) cannot be masked and is left out, marked with the data-absent-reason
 * `masked`.
 */
import { detectPhi, type PhiSpan } from '../classify/index.js';
import { isValidResidentId } from '../core/index.js';
import { maskAddress, maskPersonName, maskPhone, maskResidentId, type JsonObject } from '../deid/index.js';

/** Which kinds of PHI a mask covers in free text. */
export interface TextMasks {
  name: boolean;
  residentId: boolean;
  phone: boolean;
  address: boolean;
}

/**
 * Names the structured elements give people (a Reference's display, a Patient's name), each with
 * its mask: found in the free text beside them whether or not the detector finds them there.
 */
export type KnownNames = ReadonlyMap<string, string>;

/** `text` with what the masks cover masked; `text` itself when nothing is. */
export function maskFreeText(text: string, masks: TextMasks, known?: KnownNames): string {
  const replacements = new Map<string, string>();
  if (masks.name && known)
    for (const [name, masked] of known) if (text.includes(name)) replacements.set(name, masked);
  for (const span of detectPhi(text)) {
    const masked = maskSpan(span, masks);
    // A single character (a lone surname) would take every occurrence of it along.
    if (masked !== undefined && masked !== span.text && span.text.length > 1)
      replacements.set(span.text, masked);
  }
  if (replacements.size === 0) return text;
  // Longest first, so that a name inside a longer masked span is not masked on its own.
  const found = [...replacements.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(found.map(escapeRegExp).join('|'), 'g');
  return text.replace(pattern, (match) => replacements.get(match)!);
}

function maskSpan(span: PhiSpan, masks: TextMasks): string | undefined {
  switch (span.type) {
    case 'name':
      return masks.name ? maskPersonName(span.text) : undefined;
    case 'phone':
      return masks.phone ? maskPhone(span.text) : undefined;
    case 'address':
      return masks.address ? maskAddress(span.text) : undefined;
    case 'id':
      // The national identity number: a resident ID, or a US social security number.
      return masks.residentId && (isValidResidentId(span.text) || SSN.test(span.text))
        ? maskResidentId(span.text)
        : undefined;
    default:
      return undefined;
  }
}

const SSN = /^\d{3}-\d{2}-\d{4}$/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const DATA_ABSENT_REASON = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

/** The members an Attachment may have. */
const ATTACHMENT_MEMBERS: ReadonlySet<string> = new Set(
  ['id', 'extension', 'contentType', 'language', 'data', 'url', 'size', 'hash', 'title', 'creation'].flatMap(
    (key) => [key, `_${key}`],
  ),
);

/**
 * Whether an element is an Attachment: content, or a title beside a content type, and nothing an
 * Attachment could not have (SampledData's `data` and Signature's are no documents).
 */
export function isAttachment(node: JsonObject): boolean {
  if (
    typeof node.data !== 'string' &&
    (typeof node.title !== 'string' || typeof node.contentType !== 'string')
  )
    return false;
  for (const key of Object.keys(node)) if (!ATTACHMENT_MEMBERS.has(key)) return false;
  return true;
}

/**
 * An Attachment under the masks: its title masked; text content (`text/*` in UTF-8) decoded,
 * masked and encoded again, with `size` following and `hash` left out (it would no longer match,
 * and a hash of the original lets anyone confirm a guess of it); any other content left out.
 * Itself when nothing changes.
 */
export function maskAttachment(node: JsonObject, masks: TextMasks, known?: KnownNames): JsonObject {
  let out = node;
  if (typeof node.title === 'string') {
    const title = maskFreeText(node.title, masks, known);
    if (title !== node.title) out = { ...out, title };
  }
  if (typeof node.data !== 'string') return out;
  if (!isUtf8Text(node.contentType)) {
    const { data: _data, hash: _hash, size: _size, ...rest } = out;
    return { ...rest, _data: { extension: [{ url: DATA_ABSENT_REASON, valueCode: 'masked' }] } };
  }
  const text = Buffer.from(node.data, 'base64').toString('utf8');
  const masked = maskFreeText(text, masks, known);
  if (masked === text) return out;
  const bytes = Buffer.from(masked, 'utf8');
  const { hash: _hash, ...rest } = out;
  return {
    ...rest,
    data: bytes.toString('base64'),
    ...(node.size === undefined ? {} : { size: bytes.length }),
  };
}

/** `text/…` with no charset, or UTF-8 (or its ASCII subset). */
function isUtf8Text(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const [type, ...parameters] = contentType.toLowerCase().split(';');
  if (!type!.trim().startsWith('text/')) return false;
  const charset = parameters
    .map((p) => p.trim())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}
