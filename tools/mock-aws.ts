/**
 * The offline render's fake AWS account (and Docker registry): the computed fields the program reads, and the
 * answers of the data sources it calls. Values derive from resource names only, so two renders are identical.
 */
import { createHash } from "crypto";
import { computedOutputs, invokeResult } from "./mock-cloud";

type State = Record<string, unknown>;

export const MOCK_ACCOUNT_ID = "123456789012";
const REGION = "us-west-2";
/** The fake ECR password; it must never show up in a render (tests check that it does not). */
export const MOCK_ECR_PASSWORD = "mock-ecr-authorization-password-0f1e2d3c4b5a";

const hex = (seed: string, length: number) => createHash("sha256").update(seed).digest("hex").slice(0, length);
const arn = (service: string, resource: string, region = REGION) => `arn:aws:${service}:${region}:${MOCK_ACCOUNT_ID}:${resource}`;
const regionOf = (inputs: State) => (typeof inputs.region === "string" ? inputs.region : REGION);
/** Physical name: the one set in inputs, else the resource name (the real provider would add a random suffix). */
const nameOf = (name: string, inputs: State) => (typeof inputs.name === "string" ? inputs.name : name);

computedOutputs("aws:eks/cluster:Cluster", (name, inputs) => {
  const clusterName = nameOf(name, inputs);
  const region = regionOf(inputs);
  const id = hex(`eks/${clusterName}`, 32).toUpperCase();
  return {
    name: clusterName,
    arn: arn("eks", `cluster/${clusterName}`, region),
    endpoint: `https://${id}.gr7.${region}.eks.amazonaws.com`,
    // Base64 of a PEM header: the shape of a CA bundle, with nothing in it.
    certificateAuthority: { data: Buffer.from(`-----BEGIN CERTIFICATE-----\nmock-${clusterName}\n-----END CERTIFICATE-----\n`).toString("base64") },
    identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${id}` }] }],
    vpcConfig: { ...((inputs.vpcConfig as State) ?? {}), clusterSecurityGroupId: `sg-${hex(`eks-sg/${clusterName}`, 17)}` },
    status: "ACTIVE",
    platformVersion: "eks.1",
  };
});

computedOutputs("aws:eks/nodeGroup:NodeGroup", (name, inputs) => ({
  arn: arn("eks", `nodegroup/${String(inputs.clusterName)}/${name}/${hex(name, 8)}`),
  status: "ACTIVE",
}));

computedOutputs("aws:eks/addon:Addon", (name, inputs) => ({
  arn: arn("eks", `addon/${String(inputs.clusterName)}/${String(inputs.addonName)}/${hex(name, 8)}`),
  addonVersion: "v1.0.0-eksbuild.1",
}));

computedOutputs("aws:iam/role:Role", (name, inputs) => ({
  name: nameOf(name, inputs),
  arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${nameOf(name, inputs)}`,
}));

computedOutputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider", (_name, inputs) => ({
  arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`,
}));

computedOutputs("aws:kms/key:Key", (name) => {
  const keyId = [8, 4, 4, 4, 12].map((length, i) => hex(`${name}/${i}`, length)).join("-");
  return { keyId, arn: arn("kms", `key/${keyId}`) };
});

// A bucket's ARN has neither region nor account; its name is the resource's ID (the mock's `<name>-id`).
computedOutputs("aws:s3/bucket:Bucket", (name) => ({ bucket: `${name}-id`, arn: `arn:aws:s3:::${name}-id` }));

// Secrets Manager appends six random characters to a secret's name in its ARN.
computedOutputs("aws:secretsmanager/secret:Secret", (name, inputs) => ({ arn: arn("secretsmanager", `secret:${nameOf(name, inputs)}-${hex(name, 6)}`) }));
computedOutputs("aws:cloudwatch/logGroup:LogGroup", (name, inputs) => ({ arn: arn("logs", `log-group:${nameOf(name, inputs)}`) }));

computedOutputs("aws:efs/fileSystem:FileSystem", (name) => {
  const id = `fs-${hex(name, 17)}`;
  return { arn: arn("elasticfilesystem", `file-system/${id}`), dnsName: `${id}.efs.${REGION}.amazonaws.com` };
});

computedOutputs("aws:ecr/repository:Repository", (name, inputs) => {
  const repositoryName = nameOf(name, inputs);
  return {
    arn: arn("ecr", `repository/${repositoryName}`),
    registryId: MOCK_ACCOUNT_ID,
    repositoryUrl: `${MOCK_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${repositoryName}`,
  };
});

computedOutputs("docker:index/image:Image", (name, inputs) => {
  const imageName = String(inputs.imageName);
  const repository = imageName.replace(/:[^/:]+$/, "");
  const digest = `sha256:${createHash("sha256").update(`${name}/${imageName}`).digest("hex")}`;
  const pushed = inputs.skipPush !== true;
  return {
    imageName,
    baseImageName: imageName,
    registryServer: pushed ? repository.split("/")[0] : "",
    // A pushed image's registry digest; for a local build, Docker's image ID.
    repoDigest: pushed ? `${repository}@${digest}` : digest,
  };
});

invokeResult("aws:index/getAvailabilityZones:getAvailabilityZones", () => ({
  id: REGION,
  region: REGION,
  names: ["a", "b", "c", "d"].map((zone) => `${REGION}${zone}`),
  zoneIds: [1, 2, 3, 4].map((n) => `usw2-az${n}`),
  groupNames: [REGION],
}));

invokeResult("aws:index/getCallerIdentity:getCallerIdentity", () => ({
  id: MOCK_ACCOUNT_ID,
  accountId: MOCK_ACCOUNT_ID,
  arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/pulumi`,
  userId: "AIDAMOCKUSER0000000000",
}));

invokeResult("aws:ecr/getAuthorizationToken:getAuthorizationToken", (args) => ({
  id: REGION,
  region: REGION,
  registryId: args.registryId ?? MOCK_ACCOUNT_ID,
  userName: "AWS",
  password: MOCK_ECR_PASSWORD,
  authorizationToken: Buffer.from(`AWS:${MOCK_ECR_PASSWORD}`).toString("base64"),
  proxyEndpoint: `https://${MOCK_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`,
  expiresAt: "2030-01-01T00:00:00Z",
}));

// An existing subnet's zone: the render cannot look it up, so every existing subnet is placed in the first zone.
// Its range: a /24 of the existing VPC's 10.20.0.0/16 (below), derived from the ID so that renders are stable.
invokeResult("aws:ec2/getSubnet:getSubnet", (args) => ({
  id: args.id,
  availabilityZone: `${REGION}a`,
  vpcId: "vpc-existing",
  cidrBlock: `10.20.${parseInt(hex(`subnet/${String(args.id)}`, 4), 16) % 256}.0/24`,
}));

computedOutputs("aws:sqs/queue:Queue", (name, inputs) => ({
  arn: arn("sqs", nameOf(name, inputs)),
  url: `https://sqs.${REGION}.amazonaws.com/${MOCK_ACCOUNT_ID}/${nameOf(name, inputs)}`,
}));

invokeResult("aws:index/getPartition:getPartition", () => ({ id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }));
invokeResult("aws:ec2/getVpc:getVpc", (args) => ({
  id: args.id,
  arn: arn("ec2", `vpc/${String(args.id)}`),
  // An existing VPC's range, deliberately not the new-VPC default, so that a test sees which one was used.
  cidrBlock: "10.20.0.0/16",
  cidrBlockAssociations: [],
  default: false,
  dhcpOptionsId: "dopt-0mock",
  enableDnsHostnames: true,
  enableDnsSupport: true,
  enableNetworkAddressUsageMetrics: false,
  instanceTenancy: "default",
  ipv6AssociationId: "",
  ipv6CidrBlock: "",
  mainRouteTableId: "rtb-0mock",
  ownerId: MOCK_ACCOUNT_ID,
  state: "available",
  tags: {},
}));
