import { badRequest } from '../core/index.js';
import { getGrade, type GradeRef } from '../classify/index.js';
import { ASSET_KINDS, UPDATE_FREQUENCIES, type AssetInput, type AssetPatch } from './model.js';

const REQUIRED_TEXT = ['name', 'source', 'purpose', 'storageLocation', 'responsiblePerson'] as const;
const ZH_NAMES: Record<string, string> = {
  name: '资产名称',
  source: '数据来源',
  purpose: '用途',
  storageLocation: '存储位置',
  responsiblePerson: '数据责任人',
  updateFrequency: '更新频率',
  kind: '资产类型',
  volume: '数据量级',
};

function requireText(value: unknown, key: string): void {
  if (typeof value !== 'string' || value.trim() === '')
    throw badRequest(`asset ${key} is required and must be non-empty text`, {
      zh: `资产台账必须填写“${ZH_NAMES[key] ?? key}”`,
      path: key,
      hint: `give the asset a ${key}`,
    });
}

export function checkSensitivity(ref: GradeRef | null | undefined): void {
  if (ref) getGrade(ref.scheme, ref.grade); // throws naming the valid schemes or grades
}

export function validateInput(input: AssetInput): void {
  if (!(ASSET_KINDS as readonly string[]).includes(input.kind))
    throw badRequest(`unknown asset kind "${String(input.kind)}"; valid kinds: ${ASSET_KINDS.join(', ')}`, {
      zh: `未知的资产类型“${String(input.kind)}”，可用：${ASSET_KINDS.join('、')}`,
      path: 'kind',
    });
  for (const key of REQUIRED_TEXT) requireText(input[key], key);
  validatePatch(input);
}

export function validatePatch(patch: AssetPatch): void {
  for (const key of REQUIRED_TEXT) if (key in patch && patch[key] !== undefined) requireText(patch[key], key);
  if (
    patch.updateFrequency !== undefined &&
    !(UPDATE_FREQUENCIES as readonly string[]).includes(patch.updateFrequency)
  )
    throw badRequest(
      `unknown update frequency "${String(patch.updateFrequency)}"; valid: ${UPDATE_FREQUENCIES.join(', ')}`,
      {
        zh: `未知的更新频率“${String(patch.updateFrequency)}”，可用：${UPDATE_FREQUENCIES.join('、')}`,
        path: 'updateFrequency',
      },
    );
  if (patch.volume !== undefined && (!Number.isSafeInteger(patch.volume.count) || patch.volume.count < 0))
    throw badRequest('asset volume.count must be a non-negative integer', {
      zh: '数据量级必须为非负整数',
      path: 'volume.count',
    });
  checkSensitivity(patch.sensitivity);
  for (const f of patch.fields ?? []) {
    requireText(f.name, 'fields[].name');
    if (f.grade) checkSensitivity(f.grade);
  }
}
