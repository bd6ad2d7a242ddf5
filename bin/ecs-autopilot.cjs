#!/usr/bin/env node
// The operator's command line (src/cli), as dist/cli.cjs. An installed package ships that build (npm pack
// makes it); in a clone of the repository (src/ is there) it is built here when missing or older than the
// source, so `npx ecs-autopilot` after `npm ci` or an edit runs the code as it is.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
if (existsSync(join(root, 'src', 'cli', 'main.ts')) && existsSync(join(root, 'scripts', 'build-cli.cjs'))) {
  const build = require('../scripts/build-cli.cjs');
  if (build.isStale()) build.buildCli();
}
require('../dist/cli.cjs');
