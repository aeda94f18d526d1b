// Lets plain `node` run the TypeScript tools and the Pulumi program: sucrase strips the types as files load (no
// type checking; that is `npm run typecheck`'s job), which keeps an offline render fast.
require("sucrase/register/ts");
