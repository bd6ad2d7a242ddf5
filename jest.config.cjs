/** Jest: TypeScript through swc; @middy/core 7 is ESM-only, so map it to its file and let swc transform it. */
// The machine runs Node 20 (Lambda runs nodejs22.x); the SDK's notice about Node 20 support is noise in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: {
    '^@middy/core$': '<rootDir>/node_modules/@middy/core/index.js',
    '^@middy/util$': '<rootDir>/node_modules/@middy/util/index.js',
    '^@middy/http-error-handler$': '<rootDir>/node_modules/@middy/http-error-handler/index.js',
  },
  testTimeout: 30000,
};
