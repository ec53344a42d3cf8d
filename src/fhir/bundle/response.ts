import { STATUS_CODES } from 'node:http';
import { outcomeFromIssues } from '../outcome.js';
import { formatSearchQuery, type ParsedSearch } from '../search/parse.js';
import type { Bundle, BundleEntry, BundleLink, FhirResource, OperationOutcome } from '../types.js';
import { formatETag } from './request-url.js';

/** `201 Created`: Bundle.entry.response.status is the HTTP status line's code and reason. */
export const statusLine = (status: number): string => `${status} ${STATUS_CODES[status] ?? ''}`.trim();

const instant = (ms: number): string => new Date(ms).toISOString();

/** What happened to one entry of a transaction or batch. */
export interface EntryResult {
  status: number;
  resourceType?: string;
  id?: string;
  versionId?: string;
  lastModified?: number;
  /** The resource, when the client asked for it (Prefer: return=representation) or for reads. */
  resource?: FhirResource;
  outcome?: OperationOutcome;
}

/**
 * A transaction-response or batch-response. `results` are in the order of the submitted
 * entries (FHIR requires it, whatever order they were processed in).
 */
export function bundleResponse(
  kind: 'transaction' | 'batch',
  results: readonly EntryResult[],
  baseUrl: string,
  now: number = Date.now(),
): Bundle {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    resourceType: 'Bundle',
    type: kind === 'transaction' ? 'transaction-response' : 'batch-response',
    timestamp: instant(now),
    entry: results.map((r) => {
      const entry: BundleEntry = {};
      if (r.resourceType !== undefined && r.id !== undefined)
        entry.fullUrl = `${base}/${r.resourceType}/${r.id}`;
      if (r.resource) entry.resource = r.resource;
      entry.response = { status: statusLine(r.status) };
      if (r.resourceType !== undefined && r.id !== undefined && r.status < 300) {
        entry.response.location = `${r.resourceType}/${r.id}${r.versionId === undefined ? '' : `/_history/${r.versionId}`}`;
      }
      if (r.versionId !== undefined) entry.response.etag = formatETag(r.versionId);
      if (r.lastModified !== undefined) entry.response.lastModified = instant(r.lastModified);
      if (r.outcome) entry.response.outcome = r.outcome;
      return entry;
    }),
  };
}

export interface SearchsetInput {
  baseUrl: string;
  search: ParsedSearch;
  matches: readonly FhirResource[];
  /** Resources added by _include/$everything rather than matched. */
  includes?: readonly FhirResource[];
  total?: number;
  /** Where the next page starts, when there is one: an offset or a store cursor. */
  next?: { offset: number } | { cursor: string };
  previous?: { offset: number } | { cursor: string };
  now?: number;
}

/**
 * A searchset Bundle with self/next/previous links that repeat exactly the parameters applied,
 * and an OperationOutcome entry (search.mode = outcome) when parameters were ignored.
 */
export function searchsetBundle(input: SearchsetInput): Bundle {
  const base = input.baseUrl.replace(/\/+$/, '');
  const url = (page?: { offset: number } | { cursor: string }) =>
    `${base}/${input.search.resourceType}?${formatSearchQuery(input.search, page ?? {})}`;
  const link: BundleLink[] = [{ relation: 'self', url: url() }];
  if (input.next) link.push({ relation: 'next', url: url(input.next) });
  if (input.previous) link.push({ relation: 'previous', url: url(input.previous) });
  const entry: BundleEntry[] = [
    ...input.matches.map((resource) => resourceEntry(base, resource, 'match')),
    ...(input.includes ?? []).map((resource) => resourceEntry(base, resource, 'include')),
  ];
  if (input.search.issues.length > 0) {
    entry.push({ resource: outcomeFromIssues(input.search.issues), search: { mode: 'outcome' } });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: instant(input.now ?? Date.now()),
  };
  if (input.total !== undefined) bundle.total = input.total;
  bundle.link = link;
  if (entry.length > 0) bundle.entry = entry;
  return bundle;
}

/** A resource as stored JSON text, sent as it is rather than parsed and serialized again. */
export interface RawResource {
  resourceType: string;
  id: string;
  /** The resource's JSON: trusted to be valid (it was validated when written, and authenticated when read). */
  json: Buffer | string;
}

/**
 * `searchsetBundle` as UTF-8 JSON bytes, with the matches' stored JSON copied in as it is: a search
 * page of twenty resources otherwise spends more on JSON.parse and JSON.stringify, or on decoding
 * the bodies to text and encoding the page again, than on the query.
 */
export function searchsetJson(
  input: Omit<SearchsetInput, 'matches' | 'includes'> & { matches: readonly RawResource[] },
): Buffer {
  const base = input.baseUrl.replace(/\/+$/, '');
  const { entry: outcome = [], ...envelope } = searchsetBundle({ ...input, matches: [] });
  const head = JSON.stringify(envelope);
  if (input.matches.length === 0 && outcome.length === 0) return Buffer.from(head, 'utf8');
  const parts: (string | Buffer)[] = [`${head.slice(0, -1)},"entry":[`];
  for (const [i, r] of input.matches.entries()) {
    const fullUrl = JSON.stringify(`${base}/${r.resourceType}/${r.id}`);
    parts.push(
      `${i === 0 ? '' : ','}{"fullUrl":${fullUrl},"resource":`,
      r.json,
      ',"search":{"mode":"match"}}',
    );
  }
  for (const [i, e] of outcome.entries())
    parts.push(`${i === 0 && input.matches.length === 0 ? '' : ','}${JSON.stringify(e)}`);
  parts.push(']}');
  return joinUtf8(parts);
}

/** Texts (as UTF-8) and bytes, joined into one buffer without decoding the bytes to text. */
function joinUtf8(parts: readonly (string | Buffer)[]): Buffer {
  let size = 0;
  for (const p of parts) size += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) at += typeof p === 'string' ? out.write(p, at, 'utf8') : p.copy(out, at);
  return out;
}

function resourceEntry(base: string, resource: FhirResource, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: `${base}/${resource.resourceType}/${resource.id ?? ''}`, resource, search: { mode } };
}

/** One version in a history Bundle. */
export interface HistoryVersion {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: number;
  /** How this version came to be. */
  method: 'POST' | 'PUT' | 'DELETE';
  /** Absent for deletions. */
  resource?: FhirResource;
}

export interface HistoryInput {
  baseUrl: string;
  /** The URL of this page, as requested. */
  self: string;
  versions: readonly HistoryVersion[];
  total?: number;
  next?: string;
  previous?: string;
  now?: number;
}

/** A history Bundle (newest first, as the store lists them), with request and response per version. */
export function historyBundle(input: HistoryInput): Bundle {
  const base = input.baseUrl.replace(/\/+$/, '');
  const link: BundleLink[] = [{ relation: 'self', url: input.self }];
  if (input.next) link.push({ relation: 'next', url: input.next });
  if (input.previous) link.push({ relation: 'previous', url: input.previous });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: instant(input.now ?? Date.now()),
  };
  if (input.total !== undefined) bundle.total = input.total;
  bundle.link = link;
  bundle.entry = input.versions.map((v) => {
    const entry: BundleEntry = { fullUrl: `${base}/${v.resourceType}/${v.id}` };
    if (v.resource) entry.resource = v.resource;
    entry.request = {
      method: v.method,
      url: v.method === 'POST' ? v.resourceType : `${v.resourceType}/${v.id}`,
    };
    entry.response = {
      status: statusLine(v.method === 'POST' ? 201 : v.method === 'DELETE' ? 204 : 200),
      etag: formatETag(v.versionId),
      lastModified: instant(v.lastUpdated),
    };
    return entry;
  });
  return bundle;
}
