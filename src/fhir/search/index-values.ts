/**
 * What a resource contributes to search, one typed value per (parameter, value). The kinds say
 * how the store must keep them: identifier, name and phone identify people and go into keyed
 * blind indexes; token, date and reference identify nobody and may stay plain.
 */
export type IndexValue =
  | { param: string; kind: 'identifier'; system?: string; value: string }
  | { param: string; kind: 'name'; value: string }
  | { param: string; kind: 'phone'; value: string }
  | { param: string; kind: 'token'; system?: string; code: string }
  | { param: string; kind: 'date'; low: number; high: number }
  | { param: string; kind: 'reference'; type: string; id: string };

export type IndexKind = IndexValue['kind'];

/** The kinds that identify a person: never stored in plaintext. */
export const IDENTIFYING_KINDS: ReadonlySet<IndexKind> = new Set(['identifier', 'name', 'phone']);

export type IndexValueOf<K extends IndexKind> = Omit<Extract<IndexValue, { kind: K }>, 'param'>;
