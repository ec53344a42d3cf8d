export { loadConfig, describeConfig, type Config } from './config.js';
export { openSystem, ALL_MIGRATIONS, type System } from './system.js';
export { createServer } from './server.js';
export { seedDemo, type DemoLogin } from './demo.js';
export { createLogger } from './logger.js';
export { main, runtime } from './main.js';
export { VERSION } from './version.js';
