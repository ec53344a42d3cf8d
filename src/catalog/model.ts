import type { GradeRef } from '../classify/index.js';

export const ASSET_KINDS = ['fhir-collection', 'table', 'file', 'extract'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export const UPDATE_FREQUENCIES = [
  'realtime',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'yearly',
  'on-demand',
  'static',
] as const;
export type UpdateFrequency = (typeof UPDATE_FREQUENCIES)[number];

/** How a field's classification came to be. */
export type FieldStatus = 'declared' | 'proposed' | 'confirmed' | 'overridden';

/** One field (column, FHIR element) of an asset, with its identifier type, labels and grade. */
export interface FieldSpec {
  name: string;
  dataType?: string;
  /** The identifier type the field holds (resident-id, mobile, ...), or `none`. */
  identifierType?: string;
  /** HL7 sensitivity codes (HIV, PSY, ...). */
  labels?: string[];
  grade?: GradeRef;
  status: FieldStatus;
  /** Discovery's confidence, 0..1, while the status is `proposed`. */
  confidence?: number;
  decidedBy?: string;
  decidedAt?: number;
  reason?: string;
}

/** A data asset with the dimensions of the asset ledger (seed 001): 名称、来源、用途、存储位置、数据量级、更新频率、责任人、敏感度. */
export interface Asset {
  id: string;
  tenant: string;
  kind: AssetKind;
  /** A stable key for assets that register themselves: `fhir:Observation`. */
  naturalKey: string | null;
  name: string;
  description: string;
  source: string;
  purpose: string;
  storageLocation: string;
  volume: { count: number; unit: string };
  updateFrequency: UpdateFrequency;
  responsiblePerson: string;
  sensitivity: GradeRef | null;
  fields: FieldSpec[];
  /** Records per grade, for collections that count them. */
  gradeCounts: Record<string, number>;
  status: 'active' | 'retired';
  version: number;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface AssetInput {
  kind: AssetKind;
  naturalKey?: string | null;
  name: string;
  description?: string;
  source: string;
  purpose: string;
  storageLocation: string;
  volume?: { count: number; unit?: string };
  updateFrequency: UpdateFrequency;
  responsiblePerson: string;
  sensitivity?: GradeRef | null;
  fields?: FieldSpec[];
}

/** The dimensions an update may change. */
export type AssetPatch = Partial<Omit<AssetInput, 'kind' | 'naturalKey'>> & { status?: 'active' | 'retired' };

export type ChangeAction = 'create' | 'update' | 'discovery' | 'field-decision' | 'volume' | 'retire';

/** One entry of an asset's change history: who changed what, when. */
export interface AssetVersion {
  assetId: string;
  version: number;
  action: ChangeAction;
  changedAt: number;
  changedBy: string;
  /** Each changed dimension with its value before and after. */
  changes: Record<string, { from: unknown; to: unknown }>;
}

export interface LineageEdge {
  from: string;
  to: string;
  /** What made `to` out of `from`: an extract, a de-identification run, a join. */
  activity: string;
  createdAt: number;
  createdBy: string;
}

export interface LineageNode {
  asset: Pick<Asset, 'id' | 'name' | 'kind' | 'sensitivity'>;
  /** 1 for a direct parent or child. */
  depth: number;
}

export type FieldDecisionInput =
  | { action: 'confirm'; reason: string }
  | { action: 'override'; reason: string; identifierType?: string; grade?: string; labels?: string[] };

export interface FieldDecision {
  id: string;
  assetId: string;
  field: string;
  action: 'confirm' | 'override';
  proposed: { identifierType?: string; grade?: string; confidence?: number };
  decided: { identifierType?: string; grade?: string };
  reason: string;
  decidedBy: string;
  decidedAt: number;
}
