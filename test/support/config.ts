/** Parses config written in a test the way the engine would hand it over (structured values as JSON). */
import { parseStackConfig } from "../../config/load";
import { ParsedStackConfig, SECRET_KEYS } from "../../config/schema";

/** Config keys without the namespace, values as a stack file would hold them. */
export type TestConfig = Record<string, unknown>;

/** A config every rule test starts from: the mock phase with monitoring's secret set. */
export const VALID: TestConfig = { phase: "mock", grafanaAdminPassword: "grafana-test-password" };

function toRaw(config: TestConfig) {
  const values = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
  return { values, secretKeys: new Set<string>() };
}

export function parse(config: TestConfig, stack = "dev"): ParsedStackConfig {
  return parseStackConfig(toRaw(config), stack);
}

/** The config error message for `config`; fails the test when the config is valid. */
export function problemsWith(config: TestConfig, stack = "dev"): string {
  try {
    parse(config, stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected config to be rejected: ${JSON.stringify(config)}`);
}

/** Every secret key set to a value of its shape (clientApiKeys is a JSON object of key name to key), for tests in which only one rule may speak. */
export function everySecret(): Record<string, string> {
  // Secrets with a shape of their own get a value of that shape: client keys a JSON object, the knowledge admin key 16+ characters.
  const valueOf = (key: string) => (key === "clientApiKeys" ? JSON.stringify({ test: "k".repeat(32) }) : key === "knowledgeAdminKey" ? "secret-value-of-16-chars" : "secret-value");
  return Object.fromEntries(SECRET_KEYS.map((key) => [key, valueOf(key)]));
}
