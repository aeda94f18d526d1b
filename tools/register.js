// Lets plain `node` run the TypeScript tools and the Pulumi program: ts-node transpiles with swc and skips
// type checking (that is `npm run typecheck`'s job), which keeps an offline render well under a second of compile.
require("ts-node").register({
  transpileOnly: true,
  swc: true,
  project: require("path").join(__dirname, "..", "tsconfig.json"),
});
