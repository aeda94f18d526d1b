// Transpile-only (swc): type checking is its own step (`tsc --noEmit`), so the suite stays fast.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  testTimeout: 30000,
  // Jest keeps one core for itself by default; on a 2-core machine that halves the speed of this CPU-bound suite.
  maxWorkers: "100%",
};
