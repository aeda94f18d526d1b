import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EksClusterConfig } from "../../config/cluster";
import { subnetCidr } from "./cidr";

export interface NetworkArgs {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** A new VPC to create, or the IDs of an existing one. */
  network: EksClusterConfig["network"];
  /** Name of the EKS cluster that will use the subnets, for the tags Kubernetes looks subnets up by. */
  clusterName: string;
}

/**
 * Where the cluster lives: private subnets for nodes (reaching the internet through NAT) and public subnets for
 * internet-facing load balancers, one of each per availability zone. With an existing VPC it only passes IDs on.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  /** The VPC's CIDR: where nodes, pods (VPC CNI) and load balancers take their addresses. */
  public readonly cidrBlock: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string>[];
  /** Availability zone of each private subnet, in the same order: the GPU nodes run in the first one's. */
  public readonly privateSubnetZones: pulumi.Output<string>[];
  public readonly publicSubnetIds: pulumi.Output<string>[];
  /**
   * CIDR of each public subnet, in the same order: an internet-facing ALB takes its addresses from these and from
   * nowhere else, so they are all the frontend needs to admit (never the whole VPC, where every node and pod lives).
   */
  public readonly publicSubnetCidrs: pulumi.Output<string>[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:aws:Network", name, {}, opts);
    const network = args.network;
    if (network.type === "existing") {
      this.vpcId = pulumi.output(network.vpcId);
      this.cidrBlock = aws.ec2.getVpcOutput({ id: network.vpcId }, { parent: this, provider: args.provider }).cidrBlock;
      this.privateSubnetIds = network.privateSubnetIds.map((id) => pulumi.output(id));
      this.privateSubnetZones = network.privateSubnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this, provider: args.provider }).availabilityZone);
      this.publicSubnetIds = network.publicSubnetIds.map((id) => pulumi.output(id));
      this.publicSubnetCidrs = network.publicSubnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this, provider: args.provider }).cidrBlock);
      this.registerOutputs({ vpcId: this.vpcId });
      return;
    }

    const childOpts = { parent: this, provider: args.provider };
    const zoneCount = network.availabilityZones;
    // Local and Wavelength zones have no NAT gateways or EKS capacity; only the region's own zones qualify.
    const zones = aws
      .getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, childOpts)
      .names.apply((names) => {
        if (names.length < zoneCount) {
          throw new pulumi.ResourceError(`expected ${zoneCount} availability zones in the region, found ${names.length}`, this);
        }
        return names.slice(0, zoneCount);
      });
    const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };

    const vpc = new aws.ec2.Vpc(name, { cidrBlock: network.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: args.clusterName } }, childOpts);
    const gateway = new aws.ec2.InternetGateway(name, { vpcId: vpc.id, tags: { Name: args.clusterName } }, childOpts);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
      tags: { Name: `${args.clusterName}-public` },
    }, childOpts);

    // Nodes get most of the space: with the VPC CNI every pod takes an address from its node's subnet.
    // Private subnets are the first /19s of a /16 (1/8 each); public ones share the last eighth (1/64 each).
    const publicCidrs = Array.from({ length: zoneCount }, (_, i) => subnetCidr(network.cidrBlock, 6, 56 + i));
    const publicSubnets: aws.ec2.Subnet[] = [];
    const privateSubnets: aws.ec2.Subnet[] = [];
    for (let i = 0; i < zoneCount; i++) {
      const zone = zones.apply((names) => names[i]);
      const publicSubnet = new aws.ec2.Subnet(`${name}-public-${i}`, {
        vpcId: vpc.id,
        availabilityZone: zone,
        cidrBlock: publicCidrs[i],
        mapPublicIpOnLaunch: false,
        tags: { ...clusterTag, Name: `${args.clusterName}-public-${i}`, "kubernetes.io/role/elb": "1" },
      }, childOpts);
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id }, childOpts);
      publicSubnets.push(publicSubnet);

      privateSubnets.push(new aws.ec2.Subnet(`${name}-private-${i}`, {
        vpcId: vpc.id,
        availabilityZone: zone,
        cidrBlock: subnetCidr(network.cidrBlock, 3, i),
        tags: { ...clusterTag, Name: `${args.clusterName}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
      }, childOpts));
    }

    const natCount = network.natGateways === "per-zone" ? zoneCount : 1;
    const natGateways = publicSubnets.slice(0, natCount).map((subnet, i) => {
      const address = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { Name: `${args.clusterName}-nat-${i}` } }, childOpts);
      return new aws.ec2.NatGateway(`${name}-${i}`, { allocationId: address.id, subnetId: subnet.id, tags: { Name: `${args.clusterName}-${i}` } }, { ...childOpts, dependsOn: [gateway] });
    });
    privateSubnets.forEach((subnet, i) => {
      const routes = new aws.ec2.RouteTable(`${name}-private-${i}`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: natGateways[i % natCount].id }],
        tags: { Name: `${args.clusterName}-private-${i}` },
      }, childOpts);
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, childOpts);
    });

    this.vpcId = vpc.id;
    this.cidrBlock = pulumi.output(network.cidrBlock);
    this.privateSubnetIds = privateSubnets.map((subnet) => subnet.id);
    this.privateSubnetZones = privateSubnets.map((subnet) => subnet.availabilityZone);
    this.publicSubnetIds = publicSubnets.map((subnet) => subnet.id);
    this.publicSubnetCidrs = publicCidrs.map((cidr) => pulumi.output(cidr));
    this.registerOutputs({ vpcId: this.vpcId });
  }
}
