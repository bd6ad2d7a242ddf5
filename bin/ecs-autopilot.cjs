#!/usr/bin/env node
// The operator's command line (src/cli). dist/cli.cjs is built from it by `npm run build:cli`, which
// `npm ci` / `npm install` (prepare) and `npm pack` (prepack) run.
try {
  require('../dist/cli.cjs');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.cjs')) {
    console.error('ecs-autopilot is not built: run `npm run build:cli` in the repository');
    process.exit(1);
  }
  throw error;
}
