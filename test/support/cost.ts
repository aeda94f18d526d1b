/** Renders a stack (committed, or config written in a test) and estimates its monthly cost as the render CLI does. */
import { join } from "path";
import type { CostEstimate } from "../../tools/cost/estimate";
import { stackCost } from "../../tools/cost/stack-cost";
import type { RenderResult } from "../../tools/render";
import { readStackFile, stackFileConfig } from "../../tools/stack-file";
import { PROJECT_DIR, renderConfig, renderStack } from "./render";

export async function costOfStack(stack: string): Promise<{ result: RenderResult; cost: CostEstimate }> {
  const result = await renderStack(stack);
  return { result, cost: stackCost(result, readStackFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`)).config) };
}

export async function costOfConfig(settings: Record<string, unknown>, stack = "test"): Promise<{ result: RenderResult; cost: CostEstimate }> {
  const result = await renderConfig(settings, stack);
  const namespaced = Object.fromEntries(Object.entries(settings).map(([key, value]) => [`ai-assistant:${key}`, value]));
  return { result, cost: stackCost(result, stackFileConfig({ config: namespaced }).config) };
}
