import { CustodiaError } from '../core/index.js';

/**
 * Something sealed did not authenticate: a flipped bit, a truncation, or ciphertext moved to a
 * place its associated data does not describe. Never answered with partial or guessed plaintext.
 */
export const integrityError = (what: string, cause?: unknown) =>
  new CustodiaError('integrity', `${what} failed its integrity check: it was altered or is not ours`, {
    hint: 'restore the item from a backup and investigate how it was changed; do not retry with other keys',
    zh: `${what}完整性校验失败：数据已被篡改或不属于本系统`,
    cause,
  });

/** The patient's data key was destroyed (crypto-shredding): what was sealed under it is gone for good. */
export const patientErasedError = (patientKey: string) =>
  new CustodiaError('gone', `the patient ${patientKey} was erased: their data key is destroyed`, {
    hint: 'the data of an erased patient cannot be read by anyone; nothing can bring it back',
    zh: '该患者的数据已被依法删除（数据密钥已销毁），无法再读取',
    extensions: { erased: true },
  });

export const invalidKeyConfig = (message: string, hint: string, zh: string, cause?: unknown) =>
  new CustodiaError('invalid-config', message, { hint, zh, cause });
