/**
 * The valkey-io chart's objects as Helm renders them with the prod stack's release values
 * (test/fixtures/valkey-chart/prod.yaml, made by `npm run valkey-chart`; valkey-chart.test.ts fails when it is stale).
 */
import { readFileSync } from "fs";
import { parseAllDocuments } from "yaml";
import type { RenderResult } from "../../tools/render";
import { VALKEY_CHART_FIXTURE } from "../../tools/valkey-chart";
import { K8sObject } from "./render";

export const valkeyChartText = (): string => readFileSync(VALKEY_CHART_FIXTURE, "utf8");

/** Every document of the rendering, hooks included. */
export function valkeyChartDocuments(): K8sObject[] {
  return parseAllDocuments(valkeyChartText())
    .map((document) => document.toJSON() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

export const isHelmHook = (object: K8sObject): boolean => object.metadata.annotations?.["helm.sh/hook"] !== undefined;

/** What `helm install` (and so a Release) creates: everything but hooks. */
export const valkeyChartObjects = (): K8sObject[] => valkeyChartDocuments().filter((object) => !isHelmHook(object));

/** The chart's objects in the shape of a render, for checks written against renders (namespace: the release's). */
export function valkeyChartRender(namespace = "ai-assistant"): RenderResult {
  const objects = valkeyChartObjects().map((object) => ({ ...object, metadata: { ...object.metadata, namespace } }));
  return { stack: "prod", resources: [], outputs: {}, warnings: [], unmarkedSecrets: [], kubernetesObjects: objects.map((object) => ({ object, group: "valkey-chart", urn: "" })) };
}
