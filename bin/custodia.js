#!/usr/bin/env node
// Entry point of the `custodia` command. TypeScript sources run through tsx's loader, so a fresh
// clone needs `npm install` and nothing else.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/app/main.ts');
process.exitCode = await main(process.argv);
