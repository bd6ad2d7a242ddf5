/**
 * npm start's failures that come before anything starts (a taken port), and the cache that spares a second
 * start the `serverless print`.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printCacheKey, printConfigCached } from '../../local/stack';

const ROOT = join(__dirname, '..', '..');

function listenOn(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
const portOf = (server: Server) => (server.address() as { port: number }).port;
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

/** `npm start` (tsx local/start.ts) with these ports; resolves when it exits. */
function start(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const { LAMBDA_PORT: _ignored, ...rest } = process.env;
    execFile(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [join(ROOT, 'local', 'start.ts')],
      { cwd: ROOT, env: { ...rest, SANDBOX_QUIET: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe('npm start with a port that is taken', () => {
  let taken: Server;
  let free: { sandbox: string; http: string };
  beforeAll(async () => {
    taken = await listenOn();
    // Two ports free now, for the variables not under test (the sandbox stops before using them).
    const [a, b] = await Promise.all([listenOn(), listenOn()]);
    free = { sandbox: String(portOf(a as Server)), http: String(portOf(b as Server)) };
    await Promise.all([close(a as Server), close(b as Server)]);
  });
  afterAll(() => close(taken));

  it.each([
    ['PORT', 'HTTP API'],
    ['LAMBDA_PORT', 'Lambda invoke endpoint'],
    ['SANDBOX_PORT', 'AWS endpoint'],
  ])(
    'fails at once when %s is taken, naming the port and the variable (no serverless-offline)',
    async (variable, role) => {
      const port = portOf(taken);
      const result = await start({ SANDBOX_PORT: free.sandbox, PORT: free.http, [variable]: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `port ${port} (${role}) is already in use on 127.0.0.1: another sandbox or program has it. ` +
          `Set ${variable} to a free port`,
      );
      expect(result.stdout).not.toContain('serverless-offline starting');
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/panic|deadlock|EADDRINUSE/);
    },
    60_000,
  );

  it('refuses a port variable that is not a port', async () => {
    const result = await start({ SANDBOX_PORT: free.sandbox, PORT: 'http' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT=http is not a port: use a number from 1 to 65535');
  }, 60_000);
});

describe('the serverless print cache', () => {
  it('keys on serverless.yml, deploy/, the lockfile, the stage and the env variables serverless.yml reads', () => {
    const root = mkdtempSync(join(tmpdir(), 'print-key-'));
    try {
      cpSync(join(ROOT, 'serverless.yml'), join(root, 'serverless.yml'));
      cpSync(join(ROOT, 'deploy'), join(root, 'deploy'), { recursive: true });
      cpSync(join(ROOT, 'package-lock.json'), join(root, 'package-lock.json'));
      const env = { SANDBOX_PORT: '4566' };
      const key = printCacheKey('sandbox', env, root);
      expect(key).toMatch(/^[0-9a-f]{32}$/);
      expect(printCacheKey('sandbox', { ...env, UNRELATED: 'x' }, root)).toBe(key);
      expect(printCacheKey('sandbox', { SANDBOX_PORT: '4567' }, root)).not.toBe(key);
      expect(printCacheKey('sandbox', { ...env, SANDBOX_RESTART_MAX_ATTEMPTS: '0' }, root)).not.toBe(key);
      expect(printCacheKey('dev', env, root)).not.toBe(key);
      const patterns = join(root, 'deploy', 'eventPatterns.cjs');
      writeFileSync(patterns, `${readFileSync(patterns, 'utf8')}\n// changed\n`);
      const afterDeployChange = printCacheKey('sandbox', env, root);
      expect(afterDeployChange).not.toBe(key);
      const yml = join(root, 'serverless.yml');
      writeFileSync(yml, readFileSync(yml, 'utf8').replace('logLevel: DEBUG', 'logLevel: INFO'));
      expect(printCacheKey('sandbox', env, root)).not.toBe(afterDeployChange);
      // A source whose inputs are not known here (SSM) turns the cache off.
      writeFileSync(yml, `${readFileSync(yml, 'utf8')}\nx: \${ssm:/some/parameter}\n`);
      expect(printCacheKey('sandbox', env, root)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('prints once, then answers the same config from the cache', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'print-cache-'));
    try {
      const env = { ...process.env, SANDBOX_PORT: '45999' };
      const first = await printConfigCached('sandbox', env, cacheDir);
      const second = await printConfigCached('sandbox', env, cacheDir);
      expect(first.cached).toBe(false);
      expect(second.cached).toBe(true);
      expect(second.config).toEqual(first.config);
      expect(JSON.stringify(second.config)).toContain('http://127.0.0.1:45999/000000000000/');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 60_000);
});
