/** Pricers for what a stack adds to any cluster: volumes and load balancers, including those a Helm chart creates. */
import type { PlannedResource } from "../render";
import { ASSUMED, NOTES } from "./assumptions";
import { CostLine, fixed, Pricer, PricingContext } from "./estimate";
import { Inputs, KubernetesObject, objectName } from "./plan-index";
import { HOURS_PER_MONTH } from "./prices";
import { volumeLines } from "./storage";

const isKind = (kind: string) => (resource: PlannedResource) => resource.type.startsWith("kubernetes:") && resource.inputs.kind === kind;
const objectOf = (resource: PlannedResource) => resource.inputs as KubernetesObject;
const spec = (object: KubernetesObject) => (object.spec ?? {}) as Inputs;
const path = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Inputs)[key] : undefined), value);

/** A claim, priced by its storage class: EBS gp3/gp2, or EFS for an EFS class. */
const persistentVolumeClaim: Pricer = {
  scope: "workload",
  appliesTo: isKind("PersistentVolumeClaim"),
  lines(resource, context) {
    const claim = spec(objectOf(resource));
    return volumeLines(objectName(objectOf(resource)), path(claim, "resources", "requests", "storage"), claim.storageClassName as string | undefined, fixed(1), context);
  },
};

/** A StatefulSet's volume claim templates: one volume per replica each. */
const statefulSet: Pricer = {
  scope: "workload",
  appliesTo: isKind("StatefulSet"),
  lines(resource, context) {
    const object = objectOf(resource);
    const replicas = Number(spec(object).replicas ?? 1);
    const templates = (spec(object).volumeClaimTemplates ?? []) as { metadata?: { name?: string }; spec?: Inputs }[];
    return templates.flatMap((template) =>
      volumeLines(`${objectName(object)} (${template.metadata?.name ?? "volume"})`, path(template.spec, "resources", "requests", "storage"), template.spec?.storageClassName as string | undefined, fixed(replicas), context),
    );
  },
};

/**
 * A CloudNativePG `Cluster` (postgresql.cnpg.io/v1): the operator makes one claim of `storage.size` per instance
 * (and as many of `walStorage.size` when WAL has its own volume), of `storage.storageClass` or the default class.
 */
const cnpgCluster: Pricer = {
  scope: "workload",
  appliesTo: (resource) => isKind("Cluster")(resource) && String(resource.inputs.apiVersion).startsWith("postgresql.cnpg.io/"),
  lines(resource, context) {
    const object = objectOf(resource);
    const instances = Number(spec(object).instances ?? 1);
    const volumes = (["storage", "walStorage"] as const).filter((key) => spec(object)[key] !== undefined);
    return volumes.flatMap((key) => {
      const storage = spec(object)[key] as Inputs;
      return volumeLines(`${objectName(object)} (${key === "storage" ? "data" : "WAL"} volume)`, storage.size, storage.storageClass as string | undefined, fixed(instances), context);
    });
  },
};

const loadBalancerHours = (resource: string, kind: "ALB" | "NLB" | "Classic LB", context: PricingContext): CostLine[] => {
  const { elb } = context.prices;
  context.note(NOTES.loadBalancers);
  if (kind === "Classic LB") return [{ resource, type: "Classic LB-hour", unitPrice: elb.clbHour, quantity: fixed(HOURS_PER_MONTH) }];
  const capacityUnit = kind === "ALB" ? "LCU" : "NLCU";
  return [
    { resource, type: `${kind}-hour`, unitPrice: kind === "ALB" ? elb.albHour : elb.nlbHour, quantity: fixed(HOURS_PER_MONTH) },
    { resource, type: `${kind} ${capacityUnit}-hour`, unitPrice: kind === "ALB" ? elb.albLcuHour : elb.nlbLcuHour, quantity: fixed(ASSUMED.loadBalancerCapacityUnits * HOURS_PER_MONTH) },
  ];
};

/**
 * A Service of type LoadBalancer: an NLB when the AWS Load Balancer Controller handles it (`loadBalancerClass`
 * service.k8s.aws/nlb, or the aws-load-balancer-type annotation `external`/`nlb`), else the legacy in-tree Classic LB.
 */
const loadBalancerService: Pricer = {
  scope: "workload",
  appliesTo: (resource) => isKind("Service")(resource) && spec(objectOf(resource)).type === "LoadBalancer",
  lines(resource, context) {
    const object = objectOf(resource);
    const annotation = object.metadata.annotations?.["service.beta.kubernetes.io/aws-load-balancer-type"];
    const nlb = spec(object).loadBalancerClass === "service.k8s.aws/nlb" || annotation === "external" || annotation === "nlb";
    return loadBalancerHours(objectName(object), nlb ? "NLB" : "Classic LB", context);
  },
};

const ALB_CONTROLLER = "ingress.k8s.aws/alb";

/** The Ingress's class: named, or the IngressClass in the plan marked as the cluster default. */
function ingressClassOf(object: KubernetesObject, context: PricingContext): string | undefined {
  const named = (spec(object).ingressClassName as string | undefined) ?? object.metadata.annotations?.["kubernetes.io/ingress.class"];
  if (named !== undefined) return named;
  const defaults = context.plan.objectsOfKind("IngressClass").filter((c) => c.metadata.annotations?.["ingressclass.kubernetes.io/is-default-class"] === "true");
  return defaults[0]?.metadata.name;
}

/**
 * Ingresses the AWS Load Balancer Controller serves (class `alb`, or an IngressClass of its controller in the plan):
 * one ALB per ingress group (`alb.ingress.kubernetes.io/group.name`), else one per Ingress. Priced once, on the
 * group's first Ingress by name.
 */
const albIngress: Pricer = {
  scope: "workload",
  appliesTo: isKind("Ingress"),
  lines(resource, context) {
    const object = objectOf(resource);
    const albClasses = new Set(["alb", ...context.plan.objectsOfKind("IngressClass").filter((c) => spec(c).controller === ALB_CONTROLLER).map((c) => c.metadata.name)]);
    const className = ingressClassOf(object, context);
    if (className === undefined || !albClasses.has(className)) {
      context.note(NOTES.ingressController(objectName(object), className ?? "(the cluster default)"));
      return [];
    }
    const group = object.metadata.annotations?.["alb.ingress.kubernetes.io/group.name"];
    if (group !== undefined) {
      const members = context.plan.objectsOfKind("Ingress").filter((other) => other.metadata.annotations?.["alb.ingress.kubernetes.io/group.name"] === group && albClasses.has(ingressClassOf(other, context) ?? ""));
      const first = members.map(objectName).sort()[0];
      if (first !== objectName(object)) return [];
      return loadBalancerHours(`ALB group ${group}`, "ALB", context);
    }
    return loadBalancerHours(objectName(object), "ALB", context);
  },
};

/** Volumes a chart creates from its values. kube-prometheus-stack: Prometheus, Alertmanager and Grafana. */
const CHART_VOLUMES: Record<string, (values: Inputs) => { name: string; size: unknown; storageClass?: string; replicas: number }[]> = {
  "kube-prometheus-stack": (values) => {
    const claim = (template: unknown) => path(template, "volumeClaimTemplate", "spec") as Inputs | undefined;
    const prometheus = claim(path(values, "prometheus", "prometheusSpec", "storageSpec"));
    const alertmanager = path(values, "alertmanager", "enabled") === false ? undefined : claim(path(values, "alertmanager", "alertmanagerSpec", "storage"));
    const grafana = path(values, "grafana", "persistence") as Inputs | undefined;
    return [
      ...(prometheus ? [{ name: "prometheus", size: path(prometheus, "resources", "requests", "storage"), storageClass: prometheus.storageClassName as string | undefined, replicas: Number(path(values, "prometheus", "prometheusSpec", "replicas") ?? 1) }] : []),
      ...(alertmanager ? [{ name: "alertmanager", size: path(alertmanager, "resources", "requests", "storage"), storageClass: alertmanager.storageClassName as string | undefined, replicas: Number(path(values, "alertmanager", "alertmanagerSpec", "replicas") ?? 1) }] : []),
      // The Grafana chart's default persistence size is 10Gi (grafana/helm-charts values.yaml).
      ...(grafana?.enabled === true && (grafana.type ?? "pvc") === "pvc" ? [{ name: "grafana", size: grafana.size ?? "10Gi", storageClass: grafana.storageClassName as string | undefined, replicas: 1 }] : []),
    ];
  },
};

const chartVolumes: Pricer = {
  scope: "workload",
  appliesTo: (resource) => /^kubernetes:helm\.sh\/v\d:(Chart|Release)$/.test(resource.type) && String(resource.inputs.chart) in CHART_VOLUMES,
  lines(resource, context) {
    const volumes = CHART_VOLUMES[String(resource.inputs.chart)]((resource.inputs.values ?? {}) as Inputs);
    return volumes.flatMap((volume) => volumeLines(`${resource.name} (${volume.name} volume)`, volume.size, volume.storageClass, fixed(volume.replicas), context));
  },
};

export const KUBERNETES_PRICERS: Pricer[] = [persistentVolumeClaim, statefulSet, cnpgCluster, loadBalancerService, albIngress, chartVolumes];
