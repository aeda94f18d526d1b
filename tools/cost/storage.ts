/** Volumes (PVCs, StatefulSet claims, chart-managed claims) priced by the storage class they land on. */
import { parseQuantity } from "../../config/quantity";
import { NOTES } from "./assumptions";
import { CostLine, PricingContext, Range } from "./estimate";
import { GP3_BASELINE } from "./prices";

type Storage = { kind: "gp3"; iops?: number; iopsPerGiB?: number; throughputMiBps?: number } | { kind: "gp2" } | { kind: "efs" };

const EBS_PROVISIONERS = ["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];
const EFS_PROVISIONER = "efs.csi.aws.com";

const numberOf = (value: unknown) => (value === undefined || value === "" ? undefined : Number(value));

function storageOf(className: string | undefined, context: PricingContext): Storage {
  const storageClass = context.plan.storageClass(className);
  if (!storageClass) {
    if (context.settings.scope === "additions") context.note("Volumes on the existing cluster's storage classes are priced as EBS gp3.");
    else context.note(NOTES.unknownStorageClass(className ?? "(the cluster default)"));
    return { kind: "gp3" };
  }
  const provisioner = String(storageClass.provisioner ?? "");
  const parameters = (storageClass.parameters ?? {}) as Record<string, string>;
  if (provisioner === EFS_PROVISIONER) return { kind: "efs" };
  if (EBS_PROVISIONERS.includes(provisioner)) {
    // The EBS CSI driver creates gp3 when the class names no type; the retired in-tree plugin created gp2.
    const type = parameters.type ?? (provisioner === "kubernetes.io/aws-ebs" ? "gp2" : "gp3");
    if (type === "gp2") return { kind: "gp2" };
    if (type === "gp3") {
      return { kind: "gp3", iops: numberOf(parameters.iops), iopsPerGiB: numberOf(parameters.iopsPerGB), throughputMiBps: numberOf(parameters.throughput) };
    }
  }
  context.note(`Storage class ${storageClass.metadata.name} (${provisioner}${parameters.type ? ` ${parameters.type}` : ""}) has no price here; its volumes are priced as EBS gp3.`);
  return { kind: "gp3" };
}

/** GiB in a Kubernetes storage quantity ("100Gi", "50G"), or undefined when there is none. */
export function gibibytes(size: unknown): number | undefined {
  if (typeof size !== "string" && typeof size !== "number") return undefined;
  const bytes = parseQuantity(String(size));
  return bytes === undefined ? undefined : bytes / 2 ** 30;
}

/** Lines for `count` volumes of `size` in storage class `className` (the default class when absent). */
export function volumeLines(resource: string, size: unknown, className: string | undefined, count: Range, context: PricingContext): CostLine[] {
  const gib = gibibytes(size);
  if (gib === undefined) return [];
  context.note(NOTES.volumesAtRequestedSize);
  const times = (quantity: number): Range => ({ min: count.min * quantity, expected: count.expected * quantity, max: count.max * quantity });
  const { ebs, efs } = context.prices;
  const storage = storageOf(className, context);
  if (storage.kind === "efs") return [{ resource, type: "EFS Standard GB-month", unitPrice: efs.standardGBMonth, quantity: times(gib) }];
  if (storage.kind === "gp2") return [{ resource, type: "EBS gp2 GiB-month", unitPrice: ebs.gp2GiBMonth, quantity: times(gib) }];
  const lines: CostLine[] = [{ resource, type: "EBS gp3 GiB-month", unitPrice: ebs.gp3GiBMonth, quantity: times(gib) }];
  // gp3 includes 3,000 IOPS and 125 MiB/s; a class that provisions more pays for the difference on every volume.
  const iops = storage.iops ?? (storage.iopsPerGiB !== undefined ? Math.min(storage.iopsPerGiB * gib, 16_000) : undefined);
  if (iops !== undefined && iops > GP3_BASELINE.iops) {
    lines.push({ resource, type: `EBS gp3 IOPS-month above ${GP3_BASELINE.iops}`, unitPrice: ebs.gp3IopsMonth, quantity: times(iops - GP3_BASELINE.iops) });
  }
  if (storage.throughputMiBps !== undefined && storage.throughputMiBps > GP3_BASELINE.throughputMiBps) {
    lines.push({ resource, type: `EBS gp3 MiB/s-month above ${GP3_BASELINE.throughputMiBps}`, unitPrice: ebs.gp3MiBpsMonth, quantity: times(storage.throughputMiBps - GP3_BASELINE.throughputMiBps) });
  }
  return lines;
}
