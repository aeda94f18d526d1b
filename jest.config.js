// Transpile-only: sucrase strips the types of each file (no type checking, no native binaries), and
// `tsc --noEmit` is the one type check, so the suite stays fast.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The chat page's browser modules (plain JS with ES module syntax) are transpiled too, so jest can load them.
  transform: { "^.+\\.ts$": "@sucrase/jest-plugin", "/services/frontend/public/.+\\.js$": "@sucrase/jest-plugin" },
  testTimeout: 30000,
  // Jest keeps one core for itself by default; on a 2-core machine that halves the speed of this CPU-bound suite.
  maxWorkers: "100%",
};
