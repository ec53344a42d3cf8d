/**
 * `Bundle.entry.request.url` and REST paths, parsed: `Type`, `Type/id`, `Type/id/_history/vid`,
 * `Type?query`, optionally prefixed by the server's base URL.
 */
export type RequestTarget =
  | { kind: 'type'; type: string; query?: string }
  | { kind: 'instance'; type: string; id: string }
  | { kind: 'version'; type: string; id: string; versionId: string };

const ID = '[A-Za-z0-9\\-.]{1,64}';
const PATH = new RegExp(`^([A-Z][A-Za-z]+)(?:/(${ID})(?:/_history/(${ID}))?)?/?$`);

export function parseRequestUrl(url: string, baseUrl?: string): RequestTarget | undefined {
  let rest = url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    const base = baseUrl?.replace(/\/+$/, '');
    if (base === undefined || !rest.startsWith(`${base}/`)) return undefined;
    rest = rest.slice(base.length + 1);
  }
  rest = rest.replace(/^\/+/, '');
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  const m = PATH.exec(path);
  if (!m) return undefined;
  const [, type = '', id, versionId] = m;
  if (id === undefined) return query === undefined ? { kind: 'type', type } : { kind: 'type', type, query };
  if (query !== undefined) return undefined;
  return versionId === undefined ? { kind: 'instance', type, id } : { kind: 'version', type, id, versionId };
}

/** A weak ETag `W/"3"` (or a bare `3`) as its version id. */
export function parseETag(etag: string): string | undefined {
  const m = /^(?:W\/)?"?([A-Za-z0-9\-.]{1,64})"?$/.exec(etag.trim());
  return m?.[1];
}

export const formatETag = (versionId: string): string => `W/"${versionId}"`;
