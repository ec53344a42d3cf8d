import { deidError } from '../errors.js';
import { shiftDate, patientShiftDays } from './date-shift.js';
import { ageAt, topCode, truncateDate, zip3 } from './generalize.js';
import type { Hierarchy } from './hierarchy.js';
import { chainOf } from './hierarchy.js';
import { maskAddress, maskEmail, maskMiddle, maskPersonName, maskPhone, maskResidentId } from './mask.js';
import { addNoise, cryptoRng, seededRng } from './noise.js';
import { KeyedHmac } from './hmac.js';
import { BoundedMemo } from './memo.js';
import type { Tokenizer } from './pseudonym.js';
import { subKey } from './pseudonym.js';
import type { OperatorSpec } from './spec.js';

/** A PHI span found in free text by the classification module's detector. */
export interface PhiSpan {
  start: number;
  end: number;
  type: string;
}

/** Finds PHI in free text; supplied by the classification module (src/classify). */
export type FreeTextDetector = (text: string) => PhiSpan[];

/** What an operator may need besides the value. */
export interface RecordContext {
  /** The patient the record belongs to (date shifting). */
  patientKey?: string | undefined;
}

/** A compiled operator: the new value, or undefined to drop the element. */
export type CellOperator = (value: string, ctx: RecordContext) => string | undefined;

export interface OperatorEnvironment {
  /** The per-project key for pseudonyms and date shifts (32+ bytes). */
  key?: Uint8Array | undefined;
  tokenizer?: Tokenizer | undefined;
  hierarchies: ReadonlyMap<string, Hierarchy>;
  detector?: FreeTextDetector | undefined;
  /** ISO date from which ages are computed (Safe Harbor's ages over 89). */
  referenceDate: string;
}

/** Replaces each detected span with `[TYPE]`, right to left so offsets stay valid. */
export function redactSpans(text: string, spans: readonly PhiSpan[], replacement?: string): string {
  const sorted = [...spans].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = text.length;
  for (const s of sorted) {
    const start = Math.max(0, s.start);
    const end = Math.min(limit, s.end);
    if (end <= start) continue;
    out = out.slice(0, start) + (replacement ?? `[${s.type.toUpperCase()}]`) + out.slice(end);
    limit = start;
  }
  return out;
}

/**
 * Turns an operator spec into a function. Everything that can be wrong (a missing key, an
 * unknown hierarchy or level, no free-text detector) fails here, before any output exists.
 */
export function compileOperator(spec: OperatorSpec, env: OperatorEnvironment, path: string): CellOperator {
  const needKey = (what: string): Uint8Array => {
    if (env.key === undefined) {
      throw deidError(
        `${path}: operator "${what}" needs the project key, and none was given`,
        `${path}：算子“${what}”需要项目密钥，但未提供`,
        {
          path,
          hint: 'set keys.project in the profile (e.g. env:CUSTODIA_DEID_KEY) or pass a key to runDeid',
        },
      );
    }
    return env.key;
  };
  switch (spec.op) {
    case 'keep':
      return (v) => v;
    case 'redact':
      return spec.remove ? () => undefined : () => spec.replacement ?? '';
    case 'mask': {
      const ch = spec.maskChar ?? '*';
      switch (spec.format) {
        case 'name':
          return (v) => maskPersonName(v, ch);
        case 'resident-id':
          return (v) => maskResidentId(v, ch);
        case 'phone':
          return (v) => maskPhone(v, ch);
        case 'email':
          return (v) => maskEmail(v, ch);
        case 'address':
          return (v) => maskAddress(v);
        case 'middle': {
          const a = spec.keepStart ?? 0;
          const b = spec.keepEnd ?? 4;
          return (v) => maskMiddle(v, a, b, ch);
        }
      }
      break;
    }
    case 'generalize': {
      const h = env.hierarchies.get(spec.hierarchy);
      if (h === undefined) {
        throw deidError(
          `${path}: unknown hierarchy "${spec.hierarchy}" (known: ${[...env.hierarchies.keys()].join(', ')})`,
          `${path}：未知的泛化层级“${spec.hierarchy}”`,
          { path: `${path}.hierarchy`, hint: 'define it under hierarchies, or use a built-in one' },
        );
      }
      const level = resolveLevel(h, spec.level, `${path}.level`);
      const column = path.split('.').pop() ?? path;
      const memo = new BoundedMemo<string>();
      return (v) => {
        let out = memo.get(v);
        if (out === undefined) {
          out = chainOf(h, v, column)[level]!;
          memo.set(v, out);
        }
        return out;
      };
    }
    case 'date': {
      const grain = spec.grain;
      const over = spec.collapseAgeOver;
      const ref = env.referenceDate;
      const cutoffYear = over === undefined ? undefined : Number(ref.slice(0, 4)) - over - 1;
      // Born on or before this day means older than `over` on the reference date.
      const cutoffDay = over === undefined ? '' : `${String(cutoffYear).padStart(4, '0')}${ref.slice(4, 10)}`;
      return (v) => {
        if (v.trim() === '') return v;
        const out = truncateDate(v, grain);
        if (out === undefined) throw badValue(path, v, 'an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)');
        // Safe Harbor: dates that reveal an age over 89 collapse into one category. Partial
        // dates count as their earliest possible day: when in doubt, collapse.
        if (over !== undefined && v.length >= 10 && v.slice(0, 10) <= cutoffDay) return `<=${cutoffYear}`;
        if (over !== undefined && v.length < 10 && (ageAt(v, ref) ?? 0) > over) return `<=${cutoffYear}`;
        return out;
      };
    }
    case 'zip3':
      return (v) => (v.trim() === '' ? v : zip3(v));
    case 'pseudonymize': {
      // One keyed HMAC state per compiled operator (midstates kept, no per-cell allocation), and
      // a bounded memo because a patient's identifiers repeat across their rows.
      const mac = new KeyedHmac(subKey(needKey('pseudonymize'), 'pseudonym'));
      const length = spec.length ?? 32;
      const prefix = spec.prefix ?? '';
      const memo = new BoundedMemo<string>();
      return (v) => {
        if (v === '') return v;
        let out = memo.get(v);
        if (out === undefined) {
          out = prefix + mac.hex(v, length);
          memo.set(v, out);
        }
        return out;
      };
    }
    case 'tokenize': {
      const tokenizer = env.tokenizer;
      if (tokenizer === undefined) {
        throw deidError(
          `${path}: operator "tokenize" needs a token key or vault, and none was given`,
          `${path}：算子“tokenize”需要令牌密钥或令牌库，但未提供`,
          { path, hint: 'set keys.tokens in the profile, or pass a tokenizer to runDeid' },
        );
      }
      return (v) => (v === '' ? v : tokenizer.tokenize(v));
    }
    case 'date-shift': {
      const mac = new KeyedHmac(subKey(needKey('date-shift'), 'date-shift'));
      const max = spec.maxDays;
      // Bounded: one entry per patient would otherwise grow with the input.
      const shifts = new BoundedMemo<number>();
      return (v, ctx) => {
        if (v.trim() === '') return v;
        if (ctx.patientKey === undefined) {
          throw deidError(
            `${path}: date shifting needs the patient of each record; none was found`,
            `${path}：日期偏移需要每条记录所属的患者，但未找到`,
            { path, hint: 'set patientKey to the column holding the patient identifier' },
          );
        }
        let days = shifts.get(ctx.patientKey);
        if (days === undefined) {
          days = patientShiftDays(mac, ctx.patientKey, max);
          shifts.set(ctx.patientKey, days);
        }
        const out = shiftDate(v, days);
        if (out === undefined) throw badValue(path, v, 'an ISO date or date-time');
        return out;
      };
    }
    case 'top-code': {
      const max = spec.max;
      return (v) => {
        if (v.trim() === '') return v;
        const n = Number(v);
        if (!Number.isFinite(n)) throw badValue(path, v, 'a number');
        return topCode(n, max);
      };
    }
    case 'noise': {
      const rng = spec.seed === undefined ? cryptoRng() : seededRng(spec.seed);
      const { mechanism, scale } = spec;
      const decimals = spec.decimals ?? 0;
      return (v) => {
        if (v.trim() === '') return v;
        const n = Number(v);
        if (!Number.isFinite(n)) throw badValue(path, v, 'a number');
        return String(addNoise(n, mechanism, scale, rng, decimals));
      };
    }
    case 'free-text': {
      const detector = env.detector;
      if (detector === undefined) {
        throw deidError(
          `${path}: the profile routes this field to free-text de-identification, but no PHI detector was given`,
          `${path}：配置要求对该字段做自由文本去标识化，但未提供 PHI 检测器`,
          {
            path,
            hint: 'pass detector (from the classification module) to runDeid, or choose another operator',
          },
        );
      }
      const replacement = spec.replacement;
      return (v) => (v === '' ? v : redactSpans(v, detector(v), replacement));
    }
  }
  throw deidError(`${path}: unknown operator`, `${path}：未知算子`, { path });
}

function resolveLevel(h: Hierarchy, level: number | string, path: string): number {
  if (typeof level === 'number') {
    if (Number.isInteger(level) && level >= 0 && level < h.height) return level;
  } else {
    const i = h.levelNames?.indexOf(level) ?? -1;
    if (i >= 0) return i;
  }
  throw deidError(
    `${path}: hierarchy "${h.name}" has no level ${JSON.stringify(level)} (levels 0..${h.height - 1}${h.levelNames ? `: ${h.levelNames.join(', ')}` : ''})`,
    `${path}：泛化层级“${h.name}”没有层级 ${JSON.stringify(level)}`,
    { path },
  );
}

export { resolveLevel };

function badValue(path: string, value: string, expected: string) {
  // The value itself may be PHI: say what kind of value was expected, not what it was.
  return deidError(
    `${path}: a value is not ${expected} (length ${value.length})`,
    `${path}：存在不符合格式的取值（应为 ${expected}）`,
    { path, hint: 'clean the column, or choose an operator that fits its values' },
  );
}
