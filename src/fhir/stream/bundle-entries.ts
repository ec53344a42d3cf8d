import { StringDecoder } from 'node:string_decoder';
import { badRequest, type CustodiaError } from '../../core/index.js';

/**
 * Streams the entries of a JSON Bundle file one at a time without holding the file: a small
 * incremental scanner walks the top-level object, hands each element of its `entry` array to
 * JSON.parse as soon as the element is complete, and collects the other top-level members (the
 * envelope: resourceType, type, …) on the way. Memory is one entry, whatever the file size.
 *
 * The scanner checks the grammar of the two levels it walks (object members, array elements);
 * everything inside a value is checked by JSON.parse. Malformed input is an error, never a
 * silently different reading: the property tests hold it to JSON.parse on random documents.
 */
export type BundleStreamEvent =
  | {
      kind: 'entry';
      index: number;
      entry: unknown;
      /** Bundle.type when it came before `entry` in the file (it does in Synthea and most writers). */
      bundleType?: string;
    }
  | { kind: 'end'; envelope: Record<string, unknown> };

export interface BundleStreamOptions {
  maxEntryChars?: number;
}

export const DEFAULT_MAX_ENTRY_CHARS = 256 * 1024 * 1024;

const enum State {
  BeforeRoot,
  RootKeyOrEnd,
  RootKey,
  RootKeyString,
  RootColon,
  RootValue,
  RootAfterValue,
  EntryValueOrEnd,
  EntryValue,
  EntryAfterValue,
  Capture,
  Done,
}

const WS = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

export class BundleEntryScanner {
  private state = State.BeforeRoot;
  private offset = 0; // characters consumed before the current chunk
  private key = '';
  private keyEscape = false;
  private envelope: Record<string, unknown> = {};
  private index = 0;
  private readonly out: BundleStreamEvent[] = [];
  // Value capture
  private parts: string[] = [];
  private partsLength = 0;
  private captureFor: 'entry' | 'member' = 'member';
  private depth = 0;
  private inString = false;
  private escape = false;
  private scalar = false;
  private readonly maxEntryChars: number;

  constructor(options: BundleStreamOptions = {}) {
    this.maxEntryChars = options.maxEntryChars ?? DEFAULT_MAX_ENTRY_CHARS;
  }

  /** Feeds text; returns the events it completed. */
  push(chunk: string): BundleStreamEvent[] {
    this.scan(chunk);
    this.offset += chunk.length;
    return this.out.splice(0);
  }

  /** Declares the input finished; returns the final `end` event or throws if the document is incomplete. */
  end(): BundleStreamEvent[] {
    if (this.state !== State.Done) {
      throw this.error(
        this.offset,
        this.state === State.BeforeRoot
          ? 'the file is empty'
          : 'the file ends before the Bundle does (truncated?)',
        this.state === State.BeforeRoot ? '文件为空' : '文件在 Bundle 结束前中断（是否被截断？）',
      );
    }
    return [{ kind: 'end', envelope: this.envelope }];
  }

  private error(at: number, en: string, zh: string): CustodiaError {
    return badRequest(`Bundle file, character ${at}: ${en}`, {
      zh: `Bundle 文件第 ${at} 个字符处：${zh}`,
      path: `character ${at}`,
    });
  }

  private unexpected(chunk: string, i: number, expected: string, expectedZh: string): CustodiaError {
    const found = JSON.stringify(chunk[i]);
    return this.error(
      this.offset + i,
      `expected ${expected}, found ${found}`,
      `应为${expectedZh}，实为 ${found}`,
    );
  }

  private scan(chunk: string): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      switch (this.state) {
        case State.BeforeRoot:
          if (WS(c) || c === 0xfeff) i++;
          else if (c === 123 /* { */) {
            this.state = State.RootKeyOrEnd;
            i++;
          } else throw this.unexpected(chunk, i, 'a JSON object (a Bundle)', 'JSON 对象（Bundle）');
          break;
        case State.RootKeyOrEnd:
        case State.RootKey:
          if (WS(c)) i++;
          else if (c === 34 /* " */) {
            this.key = '';
            this.keyEscape = false;
            this.state = State.RootKeyString;
            i++;
          } else if (c === 125 /* } */ && this.state === State.RootKeyOrEnd) {
            this.state = State.Done;
            i++;
          } else throw this.unexpected(chunk, i, 'a member name', '成员名');
          break;
        case State.RootKeyString: {
          // Keys are short: gather raw text, JSON.parse decodes its escapes at the colon.
          const start = i;
          while (i < n) {
            const k = chunk.charCodeAt(i);
            if (this.keyEscape) this.keyEscape = false;
            else if (k === 92) this.keyEscape = true;
            else if (k === 34) break;
            i++;
          }
          this.key += chunk.slice(start, i);
          if (i < n) {
            i++;
            try {
              this.key = JSON.parse(`"${this.key}"`) as string;
            } catch {
              throw this.error(
                this.offset + i,
                'a member name is not a valid JSON string',
                '成员名不是有效的 JSON 字符串',
              );
            }
            this.state = State.RootColon;
          }
          break;
        }
        case State.RootColon:
          if (WS(c)) i++;
          else if (c === 58 /* : */) {
            this.state = State.RootValue;
            i++;
          } else throw this.unexpected(chunk, i, "':'", "':'");
          break;
        case State.RootValue:
          if (WS(c)) i++;
          else if (c === 91 /* [ */ && this.key === 'entry') {
            this.state = State.EntryValueOrEnd;
            i++;
          } else i = this.startCapture(chunk, i, 'member');
          break;
        case State.RootAfterValue:
          if (WS(c)) i++;
          else if (c === 44 /* , */) {
            this.state = State.RootKey;
            i++;
          } else if (c === 125 /* } */) {
            this.state = State.Done;
            i++;
          } else throw this.unexpected(chunk, i, "',' or '}'", "',' 或 '}'");
          break;
        case State.EntryValueOrEnd:
        case State.EntryValue:
          if (WS(c)) i++;
          else if (c === 93 /* ] */ && this.state === State.EntryValueOrEnd) {
            this.state = State.RootAfterValue;
            i++;
          } else if (c === 93 || c === 44) throw this.unexpected(chunk, i, 'an entry', '条目');
          else i = this.startCapture(chunk, i, 'entry');
          break;
        case State.EntryAfterValue:
          if (WS(c)) i++;
          else if (c === 44) {
            this.state = State.EntryValue;
            i++;
          } else if (c === 93) {
            this.state = State.RootAfterValue;
            i++;
          } else throw this.unexpected(chunk, i, "',' or ']'", "',' 或 ']'");
          break;
        case State.Capture:
          i = this.capture(chunk, i);
          break;
        case State.Done:
          if (WS(c)) i++;
          else throw this.unexpected(chunk, i, 'the end of the file', '文件结尾');
          break;
      }
    }
    if (this.state === State.Capture) this.keep(chunk.slice(this.captureStart));
    this.captureStart = 0;
  }

  private captureStart = 0;

  private startCapture(chunk: string, i: number, target: 'entry' | 'member'): number {
    this.state = State.Capture;
    this.captureFor = target;
    this.parts = [];
    this.partsLength = 0;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    const c = chunk.charCodeAt(i);
    this.scalar = c !== 123 && c !== 91 && c !== 34;
    this.captureStart = i;
    return this.capture(chunk, i);
  }

  /** Advances through a value; returns where scanning resumes. */
  private capture(chunk: string, from: number): number {
    const n = chunk.length;
    let i = from;
    if (this.scalar) {
      for (; i < n; i++) {
        const c = chunk.charCodeAt(i);
        if (c === 44 || c === 125 || c === 93 || WS(c)) return this.complete(chunk, i);
      }
      return n;
    }
    for (; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) {
          this.inString = false;
          if (this.depth === 0) return this.complete(chunk, i + 1);
        }
      } else if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 0) return this.complete(chunk, i + 1);
      }
    }
    return n;
  }

  private keep(text: string): void {
    this.parts.push(text);
    this.partsLength += text.length;
    if (this.captureFor === 'entry' && this.partsLength > this.maxEntryChars) {
      throw this.error(
        this.offset,
        `entry ${this.index} is longer than ${this.maxEntryChars} characters`,
        `第 ${this.index} 个条目超过 ${this.maxEntryChars} 个字符`,
      );
    }
  }

  private complete(chunk: string, end: number): number {
    this.keep(chunk.slice(this.captureStart, end));
    const text = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const where = this.captureFor === 'entry' ? `entry ${this.index}` : `member '${this.key}'`;
      const whereZh = this.captureFor === 'entry' ? `第 ${this.index} 个条目` : `成员 '${this.key}'`;
      const reason = e instanceof Error ? e.message.replace(/^.*?: /, '') : 'invalid JSON';
      throw this.error(
        this.offset + end,
        `${where} is not valid JSON (${reason})`,
        `${whereZh} 不是有效的 JSON`,
      );
    }
    if (this.captureFor === 'entry') {
      const bundleType = this.envelope['type'];
      this.out.push(
        typeof bundleType === 'string'
          ? { kind: 'entry', index: this.index, entry: value, bundleType }
          : { kind: 'entry', index: this.index, entry: value },
      );
      this.index++;
      this.state = State.EntryAfterValue;
    } else {
      // defineProperty, as JSON.parse does: assigning a member named __proto__ would replace the prototype.
      Object.defineProperty(this.envelope, this.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.state = State.RootAfterValue;
    }
    this.captureStart = end;
    return end;
  }
}

/** Streams a Bundle's entries from bytes or text; see BundleEntryScanner. */
export async function* readBundleEntries(
  source: AsyncIterable<Uint8Array | string>,
  options: BundleStreamOptions = {},
): AsyncGenerator<BundleStreamEvent> {
  const scanner = new BundleEntryScanner(options);
  const decoder = new StringDecoder('utf8');
  for await (const chunk of source) {
    yield* scanner.push(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  }
  const tail = decoder.end();
  if (tail) yield* scanner.push(tail);
  yield* scanner.end();
}
