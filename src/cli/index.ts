export { buildProgram, runProgram, EXIT } from './program.js';
export type { CommandContext, Runtime } from './runtime.js';
