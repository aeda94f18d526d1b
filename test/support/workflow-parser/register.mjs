// `node --import ./test/support/workflow-parser/register.mjs …`: installs json-import-hook.mjs before anything loads.
import { register } from "node:module";

register("./json-import-hook.mjs", import.meta.url);
