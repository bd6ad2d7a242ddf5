import { readServerlessConfig } from '../bench/lib/serverlessConfig';
import { OVERRIDES } from '../bench/sections/coldstart';

describe('the cold-start benchmark', () => {
  it('can give every function the environment serverless.yml declares (a new stack reference needs a value there)', () => {
    const config = readServerlessConfig();
    for (const f of config.functions) {
      expect(() => config.environment(f.name, OVERRIDES)).not.toThrow();
    }
  });
});
