import { StringDecoder } from 'node:string_decoder';
import { badRequest, type CustodiaError } from '../../core/index.js';
import { isRecord, type FhirResource } from '../types.js';

export type NdjsonItem = { line: number; resource: FhirResource } | { line: number; error: CustodiaError };

export interface NdjsonOptions {
  /** A longer line is reported as an error and skipped without being held in memory. */
  maxLineChars?: number;
}

export const DEFAULT_MAX_LINE_CHARS = 64 * 1024 * 1024;

const lineError = (line: number, en: string, zh: string): CustodiaError =>
  badRequest(`NDJSON line ${line}: ${en}`, { zh: `NDJSON 第 ${line} 行：${zh}`, path: `line ${line}` });

function parseLine(text: string, line: number): NdjsonItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^.*?: /, '') : 'invalid JSON';
    return { line, error: lineError(line, `not valid JSON (${reason})`, 'JSON 格式无效') };
  }
  if (!isRecord(value) || typeof value['resourceType'] !== 'string') {
    return {
      line,
      error: lineError(
        line,
        'expected one FHIR resource (a JSON object with resourceType)',
        '应为一个 FHIR 资源（含 resourceType 的 JSON 对象）',
      ),
    };
  }
  return { line, resource: value as FhirResource };
}

/**
 * Reads FHIR NDJSON (one resource per line, as Bulk Data exports it) from a byte or text stream,
 * holding one line at a time. Bad lines come out as errors with their line number; reading goes
 * on. Blank lines are skipped; CRLF and a leading byte-order mark are accepted.
 */
export async function* readNdjson(
  source: AsyncIterable<Uint8Array | string>,
  options: NdjsonOptions = {},
): AsyncGenerator<NdjsonItem> {
  const maxLine = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  let skipping = false; // inside an over-long line, dropping text until its end
  let first = true;

  const finish = (text: string): NdjsonItem | undefined => {
    line++;
    if (skipping) {
      skipping = false;
      return { line, error: lineError(line, `longer than ${maxLine} characters`, `超过 ${maxLine} 个字符`) };
    }
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (trimmed.trim() === '') return undefined;
    return parseLine(trimmed, line);
  };

  for await (const chunk of source) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const item = finish(skipping ? '' : pending + text.slice(start, nl));
      pending = '';
      start = nl + 1;
      if (item) yield item;
    }
    if (!skipping) {
      pending += text.slice(start);
      if (pending.length > maxLine) {
        skipping = true;
        pending = '';
      }
    }
  }
  const rest = pending + decoder.end();
  if (skipping || rest.length > 0) {
    const item = finish(skipping ? '' : rest);
    if (item) yield item;
  }
}
