/** The backend container's environment in a render, as Kubernetes would assemble it from env and envFrom. */
import { RenderResult } from "../../../../tools/render";
import { objectOf, objectsOf } from "../../../support/render";

/** `secretKeyRef` values are masked in a render; `secretValue` stands in for them (after checking the Secret exists). */
export function renderedBackendEnv(result: RenderResult, secretValue: string): Record<string, string> {
  const [container] = objectOf(result, "Deployment", "backend").spec.template.spec.containers;
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) Object.assign(env, objectOf(result, "ConfigMap", from.configMapRef.name).data);
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef) {
      if (objectsOf(result, "Secret", variable.valueFrom.secretKeyRef.name).length !== 1) throw new Error(`no Secret ${variable.valueFrom.secretKeyRef.name} for ${variable.name}`);
      env[variable.name] = secretValue;
    } else throw new Error(`${variable.name}: a value source the test does not know`);
  }
  return env;
}
