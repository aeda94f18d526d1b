/** Where the stack deploys: an existing cluster from a kubeconfig, or an EKS cluster the stack creates. */
import { z } from "zod";
import { positiveInt } from "./primitives";

const nodeGroup = (defaults: { instanceTypes: string[]; minSize: number; maxSize: number; desiredSize: number; diskSizeGiB: number }) =>
  z
    .strictObject({
      instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { message: "expected an EC2 instance type such as g5.xlarge" })).min(1).default(defaults.instanceTypes),
      minSize: positiveInt.min(0).default(defaults.minSize),
      maxSize: positiveInt.min(1).default(defaults.maxSize),
      desiredSize: positiveInt.min(0).default(defaults.desiredSize),
      diskSizeGiB: positiveInt.min(20).default(defaults.diskSizeGiB),
    })
    .prefault({})
    .superRefine((group, ctx) => {
      if (group.minSize > group.desiredSize || group.desiredSize > group.maxSize) {
        ctx.addIssue({
          code: "custom",
          path: ["desiredSize"],
          message: `expected minSize <= desiredSize <= maxSize (found ${group.minSize} <= ${group.desiredSize} <= ${group.maxSize})`,
          input: group.desiredSize,
        });
      }
    });

const network = z
  .discriminatedUnion("type", [
    /** A new VPC with public and private subnets in `availabilityZones` zones; nodes live in the private ones. */
    z.strictObject({
      type: z.literal("new"),
      cidrBlock: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, { message: "expected an IPv4 CIDR from /16 to /24 such as 10.0.0.0/16" }).default("10.0.0.0/16"),
      availabilityZones: positiveInt.min(2, { message: "expected at least 2 availability zones" }).max(6).default(2),
    }),
    /** An existing VPC; its private subnets (two zones at least) host the nodes. */
    z.strictObject({
      type: z.literal("existing"),
      vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, { message: "expected a VPC ID such as vpc-0abc123" }),
      privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: "expected a subnet ID such as subnet-0abc123" })).min(2, { message: "expected at least 2 private subnets" }),
      publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: "expected a subnet ID such as subnet-0abc123" })).default([]),
    }),
  ], { error: 'expected type to be "new" or "existing"' })
  .prefault({ type: "new" });

export const eksClusterSchema = z.strictObject({
  type: z.literal("eks"),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: "expected an AWS region such as us-west-2" }).default("us-west-2"),
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, { message: "expected a Kubernetes minor version such as 1.33" }).default("1.33"),
  network,
  systemNodes: nodeGroup({ instanceTypes: ["m6i.large"], minSize: 2, maxSize: 4, desiredSize: 2, diskSizeGiB: 50 }),
  gpuNodes: nodeGroup({ instanceTypes: ["g5.xlarge"], minSize: 1, maxSize: 2, desiredSize: 1, diskSizeGiB: 200 }),
  /** Control-plane log types sent to CloudWatch. */
  logTypes: z.array(z.enum(["api", "audit", "authenticator", "controllerManager", "scheduler"])).default(["api", "audit", "authenticator"]),
});

export const kubeconfigClusterSchema = z.strictObject({
  type: z.literal("kubeconfig"),
  /** kubeconfig context to use; the file's current context when absent. */
  context: z.string().min(1).optional(),
  /** Path to a kubeconfig file; `$KUBECONFIG` or ~/.kube/config when absent. */
  kubeconfigPath: z.string().min(1).optional(),
});

export const clusterSchema = z
  .discriminatedUnion("type", [kubeconfigClusterSchema, eksClusterSchema], {
    error: 'expected type to be "kubeconfig" or "eks"',
  })
  .prefault({ type: "kubeconfig" });

export type ClusterConfig = z.output<typeof clusterSchema>;
export type EksClusterConfig = z.output<typeof eksClusterSchema>;
