/** The backend container's environment in a render, as Kubernetes would assemble it from env and envFrom. */
import { RenderResult } from "../../../../tools/render";
import { objectOf, objectsOf } from "../../../support/render";

/**
 * `secretKeyRef` values are masked in a render; `secretValue` stands in for them (after checking the Secret exists).
 * A Secret the CloudNativePG operator makes at run time (`<cluster>-app`, key `uri`) is not in the render: the
 * `Cluster` it comes from must be, and a `postgres://` URL of the shape the operator writes stands in for it.
 */
export function renderedBackendEnv(result: RenderResult, secretValue: string): Record<string, string> {
  const [container] = objectOf(result, "Deployment", "backend").spec.template.spec.containers;
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) Object.assign(env, objectOf(result, "ConfigMap", from.configMapRef.name).data);
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef) {
      const { name, key } = variable.valueFrom.secretKeyRef;
      const cluster = name.endsWith("-app") && key === "uri" ? objectsOf(result, "Cluster", name.slice(0, -"-app".length))[0] : undefined;
      if (cluster) {
        env[variable.name] = `postgres://knowledge:${secretValue}@${cluster.metadata.name}-rw.${cluster.metadata.namespace}:5432/knowledge`;
        continue;
      }
      if (objectsOf(result, "Secret", name).length !== 1) throw new Error(`no Secret ${name} for ${variable.name}`);
      env[variable.name] = secretValue;
    } else throw new Error(`${variable.name}: a value source the test does not know`);
  }
  return env;
}
