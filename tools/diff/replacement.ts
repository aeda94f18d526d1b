/**
 * Which field changes make the provider replace an object (delete and create it again) instead of updating it, and
 * which the API refuses. Every rule comes from the provider's own code:
 *
 * - Kubernetes: pulumi/pulumi-kubernetes provider/pkg/provider/diff.go (`forceNewProperties`, commit 94977969,
 *   v4.32.0+27; the same table in the 4.x line this project pins) and provider.go (`.metadata.name` and
 *   `.metadata.namespace` always replace; a named object is deleted before its replacement is created, so a
 *   replaced PersistentVolumeClaim starts empty). ConfigMaps and Secrets are replaced on any data change unless the
 *   provider sets `enableConfigMapMutable` / `enableSecretMutable`.
 * - AWS: pulumi-aws takes `ForceNew` from terraform-provider-aws: internal/service/eks/cluster.go (commit 00555dc5),
 *   internal/service/eks/node_group.go (012e0a32) and internal/service/ec2/vpc_subnet.go (00cda125).
 */
import type { PlannedResource } from "../render";
import { FieldChange, fieldKeys, formatPath, isWithin } from "./fields";
import { PlanIndex } from "./plan";
import { rolloutVerdict } from "./rollouts";

const LABEL_SELECTOR = [".spec.selector"];

/** Kubernetes `group/version:Kind` (the plan's type without `kubernetes:`) to fields that force replacement. */
const KUBERNETES_FORCE_NEW: Record<string, string[]> = {
  "apps/v1:Deployment": LABEL_SELECTOR,
  "apps/v1:DaemonSet": LABEL_SELECTOR,
  "apps/v1:StatefulSet": [".spec.podManagementPolicy", ".spec.revisionHistoryLimit", ".spec.selector", ".spec.serviceName", ".spec.volumeClaimTemplates"],
  "batch/v1:Job": [".spec.completions", ".spec.parallelism", ".spec.selector", ".spec.template"],
  "core/v1:PersistentVolumeClaim": [".spec.accessModes", ".spec.selector", ".spec.storageClassName", ".spec.volumeName"],
  "core/v1:PersistentVolume": [
    ".spec.awsElasticBlockStore", ".spec.azureDisk", ".spec.azureFile", ".spec.cephfs", ".spec.cinder", ".spec.csi", ".spec.fc",
    ".spec.flexVolume", ".spec.flocker", ".spec.gcePersistentDisk", ".spec.glusterfs", ".spec.hostPath", ".spec.iscsi", ".spec.local",
    ".spec.nfs", ".spec.photonPersistentDisk", ".spec.portworxVolume", ".spec.quobyte", ".spec.rbd", ".spec.scaleIO", ".spec.storageos",
    ".spec.vsphereVolume",
  ],
  "core/v1:ResourceQuota": [".spec.scopes"],
  "core/v1:Service": [".spec.clusterIP"],
  "core/v1:Secret": [".type"],
  "policy/v1beta1:PodDisruptionBudget": [".spec"],
  "rbac.authorization.k8s.io/v1:RoleBinding": [".roleRef"],
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding": [".roleRef"],
  "storage.k8s.io/v1:StorageClass": [".parameters", ".provisioner"],
};
const KUBERNETES_IDENTITY = [".metadata.name", ".metadata.namespace"];

/**
 * Custom resources are never replaced by the provider (it knows no forceNew fields for them); what their CRD's own
 * validation refuses is refused by the API server instead. The Rollout CRD rules `.spec.selector` immutable
 * (x-kubernetes-validations `self == oldSelf`; argoproj/argo-helm charts/argo-rollouts/templates/crds/rollout-crd.yaml,
 * tag argo-rollouts-2.41.0).
 */
const CRD_IMMUTABLE: Record<string, string[]> = {
  "argoproj.io/v1alpha1:Rollout": LABEL_SELECTOR,
};

/** Pulumi AWS types to `ForceNew` fields (camelCase, as Pulumi names them). */
const AWS_FORCE_NEW: Record<string, string[]> = {
  "aws:eks/cluster:Cluster": [
    ".name", ".roleArn", ".bootstrapSelfManagedAddons", ".accessConfig.bootstrapClusterCreatorAdminPermissions",
    ".kubernetesNetworkConfig.ipFamily", ".kubernetesNetworkConfig.serviceIpv4Cidr", ".outpostConfig.controlPlaneInstanceType",
    ".outpostConfig.controlPlanePlacement.groupName", ".remoteNetworkConfig",
  ],
  "aws:eks/nodeGroup:NodeGroup": [
    ".amiType", ".capacityType", ".clusterName", ".diskSize", ".instanceTypes", ".launchTemplate.id", ".launchTemplate.name",
    ".nodeGroupName", ".nodeGroupNamePrefix", ".nodeRoleArn", ".remoteAccess", ".subnetIds",
  ],
  "aws:ec2/subnet:Subnet": [
    ".availabilityZone", ".availabilityZoneId", ".cidrBlock", ".ipv4IpamPoolId", ".ipv4NetmaskLength", ".ipv6IpamPoolId",
    ".ipv6Native", ".ipv6NetmaskLength", ".outpostArn", ".vpcId",
  ],
};

/** Why a change replaces the object, or is refused; undefined for an update in place. */
export interface ChangeVerdict {
  kind: "replace" | "refused" | "note";
  reason: string;
}

const truthy = (value: unknown) => value === true || value === "true";

function providerAllowsMutable(resource: PlannedResource, head: PlanIndex, flag: "enableConfigMapMutable" | "enableSecretMutable"): boolean {
  return truthy(head.provider(resource)?.inputs[flag]);
}

/** Kubernetes quantity in bytes (`100Gi`), for comparing claim sizes. */
function bytes(quantity: unknown): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(String(quantity));
  if (!match) return undefined;
  const powers: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  return Number(match[1]) * (match[2] ? powers[match[2]] : 1);
}

function claimResize(change: FieldChange, after: PlannedResource, head: PlanIndex): ChangeVerdict | undefined {
  const [from, to] = [bytes(change.before), bytes(change.after)];
  if (from === undefined || to === undefined) return undefined;
  if (to < from) return { kind: "refused", reason: `refused by Kubernetes: a claim cannot shrink (${change.before} -> ${change.after})` };
  const className = (after.inputs.spec as { storageClassName?: string } | undefined)?.storageClassName;
  if (!className) return { kind: "note", reason: "grows in place only if the cluster's default StorageClass sets allowVolumeExpansion: true" };
  const storageClass = head.kubernetesObject("StorageClass", className);
  if (!storageClass) return { kind: "note", reason: `grows in place only if StorageClass ${className} (not in this stack) sets allowVolumeExpansion: true` };
  return storageClass.allowVolumeExpansion === true
    ? { kind: "note", reason: `grows in place: StorageClass ${className} allows volume expansion` }
    : { kind: "refused", reason: `refused by Kubernetes: StorageClass ${className} does not allow volume expansion` };
}

function kubernetesVerdict(change: FieldChange, before: PlannedResource, after: PlannedResource, head: PlanIndex): ChangeVerdict | undefined {
  const gvk = after.type.slice("kubernetes:".length);
  const path = formatPath(change.path);
  if (KUBERNETES_IDENTITY.some((field) => isWithin(change.path, field))) {
    return { kind: "replace", reason: `${path} is the object's identity` };
  }
  if (gvk === "core/v1:PersistentVolumeClaim" && isWithin(change.path, ".spec.resources.requests.storage")) return claimResize(change, after, head);
  const immutableField = (CRD_IMMUTABLE[gvk] ?? []).find((f) => isWithin(change.path, f));
  if (immutableField) return { kind: "refused", reason: `refused by the API server: the CRD makes ${immutableField.slice(1)} immutable (delete the object first, or keep the selector)` };
  const rollout = rolloutVerdict(change, before, after);
  if (rollout) return rollout;
  const fields = [...(KUBERNETES_FORCE_NEW[gvk] ?? [])];
  const immutable = truthy(before.inputs.immutable) || truthy(after.inputs.immutable);
  if (gvk === "core/v1:Secret" && (immutable || !providerAllowsMutable(after, head, "enableSecretMutable"))) fields.push(".data", ".stringData");
  if (gvk === "core/v1:ConfigMap" && (immutable || !providerAllowsMutable(after, head, "enableConfigMapMutable"))) fields.push(".data", ".binaryData");
  const field = fields.find((f) => isWithin(change.path, f));
  if (!field) return undefined;
  const dataNote = [".data", ".stringData", ".binaryData"].includes(field) ? " (the provider does not set enableConfigMapMutable/enableSecretMutable)" : "";
  return { kind: "replace", reason: `${field.slice(1)} cannot change in place${dataNote}` };
}

function awsVerdict(change: FieldChange, before: PlannedResource, after: PlannedResource): ChangeVerdict | undefined {
  const fields = AWS_FORCE_NEW[after.type] ?? [];
  const field = fields.find((f) => isWithin(change.path, f));
  if (field) return { kind: "replace", reason: `${field.slice(1)} forces a new resource (ForceNew in the AWS provider); the new one gets a new ID, and what takes that ID changes too (pulumi preview shows it)` };
  // Envelope encryption cannot be turned off once on (cluster.go: ForceNewIfChange on encryption_config).
  if (after.type === "aws:eks/cluster:Cluster" && fieldKeys(change.path)[0] === "encryptionConfig" && before.inputs.encryptionConfig && !after.inputs.encryptionConfig) {
    return { kind: "replace", reason: "removing encryptionConfig forces a new cluster (EKS cannot turn envelope encryption off)" };
  }
  return undefined;
}

/** The verdict for one changed field of a resource present in both renders. */
export function verdictFor(change: FieldChange, before: PlannedResource, after: PlannedResource, head: PlanIndex): ChangeVerdict | undefined {
  if (after.type.startsWith("kubernetes:")) return kubernetesVerdict(change, before, after, head);
  if (after.type.startsWith("aws:")) return awsVerdict(change, before, after);
  return undefined;
}

/** Types whose deletion loses data or everything inside them. */
const STATEFUL_TYPES: Record<string, string> = {
  "kubernetes:core/v1:PersistentVolumeClaim": "its volume (and the data on it) is deleted with it, unless the volume's reclaim policy is Retain",
  "kubernetes:core/v1:PersistentVolume": "a volume",
  "kubernetes:apps/v1:StatefulSet": "a StatefulSet",
  "kubernetes:core/v1:Namespace": "deleting a namespace deletes every object in it",
  "aws:ebs/volume:Volume": "an EBS volume",
  "aws:efs/fileSystem:FileSystem": "an EFS file system and its files",
  "aws:ecr/repository:Repository": "an ECR repository and its images",
  "aws:s3/bucket:Bucket": "an S3 bucket",
  "aws:s3/bucketV2:BucketV2": "an S3 bucket",
  "aws:eks/cluster:Cluster": "the EKS cluster and every workload on it",
  "aws:kms/key:Key": "a KMS key: what it encrypted cannot be read once it is gone",
  "aws:cloudwatch/logGroup:LogGroup": "a log group and its logs",
};

/** What losing this resource costs, when it holds state; undefined otherwise. */
export function statefulReason(resource: PlannedResource): string | undefined {
  return STATEFUL_TYPES[resource.type];
}
