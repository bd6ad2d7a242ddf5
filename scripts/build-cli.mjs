// Builds the CLI (src/cli/main.ts) into dist/cli.cjs: our TypeScript in one file, its packages required
// from node_modules at run time (they are the package's `dependencies`).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
