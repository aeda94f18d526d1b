/**
 * The policy pack: `pulumi preview --policy-pack policy` (from the project root) holds a stack to the rules in
 * rules.ts. The production rules apply when the app namespace carries the production label the stack sets, or when
 * the pack's config says so for a rule (`--policy-pack-config`, e.g. `{"digests-in-production": {"production": true}}`).
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("ai-assistant", { policies: POLICIES });
