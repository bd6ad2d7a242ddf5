// Builds the CLI (src/cli/main.ts) into dist/cli.cjs: our TypeScript in one CommonJS file, its packages
// required from node_modules at run time (they are the package's `dependencies`). `npm pack` runs it
// (prepack); in a clone, bin/ecs-autopilot.cjs runs it whenever the source is newer than the build.
const { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const OUTFILE = join(ROOT, 'dist', 'cli.cjs');

/** The newest modification time of the TypeScript the CLI is built from (all of src/). */
function newestSource() {
  let newest = 0;
  for (const name of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (name.endsWith('.ts')) newest = Math.max(newest, statSync(join(ROOT, 'src', name)).mtimeMs);
  }
  return newest;
}

function isStale() {
  try {
    return statSync(OUTFILE).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

function buildCli() {
  const { buildSync } = require('esbuild');
  const result = buildSync({
    entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
    write: false,
    outfile: OUTFILE,
  });
  // Written whole, then renamed: a CLI started meanwhile never loads half a file.
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const partial = `${OUTFILE}.${process.pid}.tmp`;
  writeFileSync(partial, result.outputFiles[0].contents);
  renameSync(partial, OUTFILE);
}

module.exports = { buildCli, isStale, OUTFILE };

if (require.main === module) buildCli();
