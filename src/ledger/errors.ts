/** The ledger's errors, each saying what went wrong and what to do, in English and Chinese. */
import { CustodiaError, badRequest, conflict, notFound } from '../core/index.js';

export const entryNotFound = (index: number, size: number) =>
  notFound(`ledger entry ${index} does not exist: the log has ${size} entries`, {
    hint: 'ask for an index from 0 to the log size minus one',
    zh: `账本条目 ${index} 不存在：日志共有 ${size} 条`,
    path: 'index',
  });

export const badTreeSize = (size: number, max: number) =>
  badRequest(`tree size ${size} is not between 1 and the log size ${max}`, {
    hint: 'use the size of a checkpoint the log has issued',
    zh: `树大小 ${size} 无效（日志大小为 ${max}）`,
    path: 'treeSize',
  });

export const checkpointRejected = (problem: string, zhProblem: string) =>
  new CustodiaError('forbidden', `checkpoint rejected: ${problem}`, {
    hint: 'the checkpoint was not accepted and an alarm was raised; compare it with the log operator',
    zh: `检查点被拒绝：${zhProblem}`,
  });

export const checkpointInconsistent = (problem: string) =>
  conflict(`checkpoint is inconsistent with the log: ${problem}`, {
    hint: 'this is evidence of a split view or a rewritten log; an alarm was raised, keep both checkpoints',
    zh: `检查点与日志不一致：${problem}`,
  });

export const logIntegrity = (problem: string) =>
  new CustodiaError('integrity', `the stored ledger fails verification: ${problem}`, {
    hint: 'run `custodia ledger verify` for the first bad entry and restore it from a backup or a mirror',
    zh: `存储的审计账本校验失败：${problem}`,
  });

export const ledgerClosed = () =>
  new CustodiaError('unavailable', 'the ledger is closed', {
    hint: 'open the ledger again before appending',
    zh: '审计账本已关闭',
  });
