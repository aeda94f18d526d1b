/** `features`: flag names from the known set, whole percentages 0-100, a model flag naming another served model, a cache flag needing the cache. */
import { featureRollouts } from "../../config/features";
import { FEATURES } from "../../lib/feature-flags";
import { OLLAMA } from "../support/configs";
import { parse, problemsWith, VALID } from "../support/config";

const LOCAL = { ...OLLAMA, grafanaAdminPassword: "grafana-test-password" };

describe("features", () => {
  it("is empty by default: no rollouts, so no flag file", () => {
    expect(parse(VALID).features).toEqual({});
    expect(featureRollouts(parse(VALID).features)).toBeUndefined();
  });

  it("accepts every known flag with a whole percentage from 0 to 100, and a model flag naming another served model", () => {
    const features = { knowledge: { percentage: 25 }, semanticCache: { percentage: 0 }, responseCache: { percentage: 100 }, model: { model: "qwen2.5:7b", percentage: 10 } };
    const parsed = parse({ ...LOCAL, backend: { responseCache: { mode: "all" } }, features });
    expect(parsed.features).toEqual(features);
    expect(Object.keys(featureRollouts(parsed.features)!).sort()).toEqual([...FEATURES].sort());
  });

  it.each([
    [{ darkMode: { percentage: 10 } }, "ai-assistant:features.darkMode: expected one of the flags knowledge, responseCache, semanticCache, model"],
    [{ knowledge: { percentage: 101 } }, "ai-assistant:features.knowledge.percentage: expected a whole number from 0 to 100; found 101"],
    [{ knowledge: { percentage: -1 } }, "ai-assistant:features.knowledge.percentage: expected a whole number from 0 to 100; found -1"],
    [{ knowledge: { percentage: 12.5 } }, "ai-assistant:features.knowledge.percentage: expected a whole number from 0 to 100; found 12.5"],
    [{ knowledge: { percentage: "25" } }, "ai-assistant:features.knowledge.percentage: expected a whole number from 0 to 100"],
    [{ knowledge: { percentage: 25, model: "x" } }, "ai-assistant:features.knowledge.model: expected a known key"],
    [{ model: { percentage: 25 } }, "ai-assistant:features.model.model: expected a model name"],
  ])("refuses %j", (features, line) => {
    expect(problemsWith({ ...VALID, features })).toContain(line);
  });

  it("refuses a model flag naming a model the stack does not serve, or its default model, and says which it serves", () => {
    expect(problemsWith({ ...LOCAL, features: { model: { model: "llama3.1:70b", percentage: 10 } } })).toContain(
      'ai-assistant:features.model.model: expected one of the other models this stack serves (qwen2.5:7b): the model flag sends a share of the requests for the default model (llama3.2:3b) to another served model; found "llama3.1:70b"',
    );
    expect(problemsWith({ ...LOCAL, features: { model: { model: "llama3.2:3b", percentage: 10 } } })).toContain("ai-assistant:features.model.model: expected one of the other models this stack serves (qwen2.5:7b)");
    expect(problemsWith({ ...VALID, features: { model: { model: "gpt-4o", percentage: 10 } } })).toContain("ai-assistant:features.model.model: expected a second model, and this stack serves only mock");
  });

  it("refuses rolling out the response cache on a stack that has it off, and accepts it once the cache is on", () => {
    expect(problemsWith({ ...VALID, features: { responseCache: { percentage: 50 } } })).toContain(
      "ai-assistant:features.responseCache: expected backend.responseCache.mode deterministic or all: a flag only turns the cache off for some callers, and this stack has it off for all",
    );
    expect(parse({ ...VALID, backend: { responseCache: { mode: "deterministic" } }, features: { responseCache: { percentage: 50 } } }).features.responseCache).toEqual({ percentage: 50 });
  });
});
