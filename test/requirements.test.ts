/**
 * What the README and package.json say a machine needs is what the locked dependencies need, and `npm ci`
 * has nothing to warn about: no dependency whose engines exclude a Node version we claim (npm prints
 * EBADENGINE), no install script left unreviewed (npm 11 skips it and prints a list).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const locked = Object.entries(
  lock.packages as Record<string, { engines?: { node?: string }; hasInstallScript?: boolean }>,
)
  .filter(([path]) => path !== '')
  .map(([path, meta]) => ({ name: path.replace(/^.*node_modules\//, ''), ...meta }));
const stated: string = pkg.engines.node;

describe('the stated requirements', () => {
  it('admit only Node versions every locked dependency supports', () => {
    const excluding = locked
      .filter((p) => typeof p.engines?.node === 'string' && !semver.subset(stated, p.engines.node))
      .map((p) => `${p.name} (${p.engines?.node})`);
    expect(excluding).toEqual([]);
  });

  it('admit the Node this machine runs (the one npm test and npm start run on)', () => {
    expect(semver.satisfies(process.version, stated)).toBe(true);
  });

  it('cover every install script of the locked dependencies with an allowScripts decision', () => {
    const allowed = new Set(
      Object.keys(pkg.allowScripts ?? {}).map((entry) => entry.replace(/(.)@.*$/, '$1')),
    );
    const unreviewed = locked.filter((p) => p.hasInstallScript && !allowed.has(p.name)).map((p) => p.name);
    expect(unreviewed).toEqual([]);
  });

  it('are the ones the README states', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${stated}`);
  });
});
