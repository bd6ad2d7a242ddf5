/** Jest: TypeScript through swc; @middy/core 7 is ESM-only, so map it to its file and let swc transform it. */
// The machine runs Node 20 (Lambda runs nodejs22.x); the SDK's notice about Node 20 support is noise in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: {
    '^@middy/core$': '<rootDir>/node_modules/@middy/core/index.js',
    '^@middy/util$': '<rootDir>/node_modules/@middy/util/index.js',
    '^@middy/http-error-handler$': '<rootDir>/node_modules/@middy/http-error-handler/index.js',
  },
};

/**
 * Two projects: fast tests in parallel, then the end-to-end suites one at a time (each starts a sandbox
 * with serverless-offline; two at once on a 2-core machine starve each other).
 */
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'fast',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/test/e2e/'],
      setupFiles: ['<rootDir>/test/support/functionEnv.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.test.ts'],
    },
  ],
};
