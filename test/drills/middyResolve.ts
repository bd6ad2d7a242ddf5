/**
 * @middy/core, @middy/util and @middy/http-error-handler are ESM-only ("exports" has only an "import"
 * condition), so CommonJS `require` (tsx running a .ts file of this package) cannot resolve them. This maps
 * them to their files, as jest.config.cjs's moduleNameMapper does; Node 20.19+ then loads them with
 * require(esm). Call it before anything imports src/http.ts.
 */
import Module from 'node:module';
import { join } from 'node:path';

const MIDDY = /^@middy\/(core|util|http-error-handler)$/;

export function mapMiddyForCommonJs(): void {
  const loader = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    const match = MIDDY.exec(request);
    if (match) return join(__dirname, '..', '..', 'node_modules', '@middy', match[1] as string, 'index.js');
    return original.call(this, request, ...rest);
  };
}
