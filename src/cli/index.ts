export { buildProgram, runProgram, EXIT } from './program.js';
export type { CommandContext, LedgerStoreContext, Runtime } from './runtime.js';
