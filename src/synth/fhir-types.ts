/**
 * The few FHIR R4 shapes the generator builds. Deliberately loose: the generator's output is checked
 * against the official R4 JSON schema in the tests, which is the real contract.
 */
export interface FhirResource {
  resourceType: string;
  id?: string;
  [element: string]: unknown;
}

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Identifier {
  use?: 'usual' | 'official' | 'temp' | 'secondary' | 'old';
  type?: CodeableConcept;
  system: string;
  value: string;
  assigner?: Reference;
}

export interface Reference {
  reference: string;
  display?: string;
}

export interface BundleEntry {
  fullUrl: string;
  resource: FhirResource;
  request: { method: 'POST'; url: string; ifNoneExist?: string };
}

export interface TransactionBundle {
  resourceType: 'Bundle';
  id: string;
  type: 'transaction';
  timestamp?: string;
  entry: BundleEntry[];
}
