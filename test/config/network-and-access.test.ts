import { parse, problemsWith, VALID } from "../support/config";

const CERTIFICATE = "arn:aws:acm:us-west-2:246813579024:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12";
const eks = { ...VALID, cluster: { type: "eks" } };
const ingress = { type: "Ingress", host: "chat.example.com" };
const OIDC = {
  issuer: "https://login.example.com",
  authorizationEndpoint: "https://login.example.com/authorize",
  tokenEndpoint: "https://login.example.com/token",
  userInfoEndpoint: "https://login.example.com/userinfo",
  clientId: "chat",
};

describe("networkPolicies", () => {
  it("are on by default, with the internet as 0.0.0.0/0 minus the private ranges, and CoreDNS as the DNS", () => {
    expect(parse(VALID).networkPolicies).toEqual({
      enabled: true,
      hostedApiCidrs: ["0.0.0.0/0"],
      privateCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"],
      modelHub: { enabled: true, cidrs: ["0.0.0.0/0"] },
      probeSourceCidrs: [],
      dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } },
    });
  });
  it("accept network CIDRs and reject one with host bits set, which the API refuses", () => {
    expect(parse({ ...VALID, networkPolicies: { hostedApiCidrs: ["203.0.113.0/24"] } }).networkPolicies.hostedApiCidrs).toEqual(["203.0.113.0/24"]);
    expect(problemsWith({ ...VALID, networkPolicies: { hostedApiCidrs: ["203.0.113.7/24"] } })).toContain(
      'ai-assistant:networkPolicies.hostedApiCidrs[0]: expected an IPv4 CIDR such as 0.0.0.0/0 or 203.0.113.0/24; found "203.0.113.7/24"',
    );
    expect(problemsWith({ ...VALID, networkPolicies: { modelHub: { cidrs: ["300.0.0.0/8"] } } })).toContain("ai-assistant:networkPolicies.modelHub.cidrs[0]: expected an IPv4 CIDR");
  });
  it("can be switched off, and the model hub closed", () => {
    expect(parse({ ...VALID, networkPolicies: { enabled: false } }).networkPolicies.enabled).toBe(false);
    expect(parse({ ...VALID, networkPolicies: { modelHub: { enabled: false } } }).networkPolicies.modelHub.enabled).toBe(false);
  });
});

describe("an Ingress on eks (the stack's ALB)", () => {
  it("accepts an ACM certificate and defaults to the alb class", () => {
    expect(parse({ ...eks, frontend: { expose: { ...ingress, certificateArn: CERTIFICATE } } }).frontend.expose).toMatchObject({ certificateArn: CERTIFICATE });
    expect(parse({ ...eks, frontend: { expose: { ...ingress, className: "alb", certificateArn: CERTIFICATE } } }).frontend.expose).toMatchObject({ className: "alb" });
  });
  it("requires the certificate, because the ALB serves HTTPS only", () => {
    expect(problemsWith({ ...eks, frontend: { expose: ingress } })).toContain(
      "ai-assistant:frontend.expose.certificateArn: expected an ACM certificate ARN: the ALB serves the chat over HTTPS only and redirects HTTP; found nothing (the key is not set)",
    );
  });
  it("rejects a malformed certificate ARN", () => {
    expect(problemsWith({ ...eks, frontend: { expose: { ...ingress, certificateArn: "my-cert" } } })).toContain(
      'ai-assistant:frontend.expose.certificateArn: expected an ACM certificate ARN such as arn:aws:acm:us-west-2:<account>:certificate/<id>; found "my-cert"',
    );
  });
  it.each([
    ["AWS's example account", "arn:aws:acm:us-west-2:123456789012:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12", "account 123456789012 is an example from AWS's documentation"],
    ["another documented example account", "arn:aws:acm:us-west-2:111122223333:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12", "account 111122223333 is an example"],
    ["the all-zero account", "arn:aws:acm:us-west-2:000000000000:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12", "account 000000000000 is all zeros"],
    ["a nil certificate ID", "arn:aws:acm:us-west-2:246813579024:certificate/00000000-0000-4000-8000-000000000000", "the ID 00000000-0000-4000-8000-000000000000 is all zeros"],
  ])("refuses a certificate ARN with %s: a placeholder left in the stack file", (_case, arn, why) => {
    expect(problemsWith({ ...eks, frontend: { expose: { ...ingress, certificateArn: arn } } })).toContain(
      `ai-assistant:frontend.expose.certificateArn: expected the ARN of your own ACM certificate: ${why}`,
    );
  });
  it("rejects the nginx class, which nothing on the cluster serves", () => {
    expect(problemsWith({ ...eks, frontend: { expose: { ...ingress, className: "nginx", certificateArn: CERTIFICATE } } })).toContain(
      'ai-assistant:frontend.expose.className: expected no className, or alb: on eks the stack installs the AWS Load Balancer Controller and nothing else serves Ingresses; found "nginx"',
    );
  });
  it("rejects a TLS Secret, which an ALB cannot serve", () => {
    expect(problemsWith({ ...eks, frontend: { expose: { ...ingress, certificateArn: CERTIFICATE, tlsSecretName: "tls" } } })).toContain(
      "ai-assistant:frontend.expose.tlsSecretName: expected certificateArn instead on eks",
    );
  });
  it("takes OIDC sign-in with its client secret, and asks for the secret with the command that sets it", () => {
    const withOidc = { ...eks, frontend: { expose: { ...ingress, certificateArn: CERTIFICATE, oidc: OIDC } } };
    expect(parse({ ...withOidc, oidcClientSecret: "s3cret-value" }).frontend.expose).toMatchObject({ oidc: { ...OIDC, scope: "openid" } });
    expect(problemsWith(withOidc, "prod")).toContain(
      "ai-assistant:oidcClientSecret: expected a secret (the OIDC client secret, because frontend.expose.oidc is set); set it with `pulumi config set --secret ai-assistant:oidcClientSecret <value> --stack prod`",
    );
  });
  it("in an existing VPC, needs the public subnets the ALB lives in: the frontend admits their ranges, not the VPC's", () => {
    const vpc = (publicSubnetIds?: string[]) => ({
      ...VALID,
      cluster: { type: "eks", network: { type: "existing", vpcId: "vpc-0abc", privateSubnetIds: ["subnet-0a1", "subnet-0b2"], ...(publicSubnetIds && { publicSubnetIds }) } },
      frontend: { expose: { ...ingress, certificateArn: CERTIFICATE } },
    });
    const message = "ai-assistant:cluster.network.publicSubnetIds: expected at least 2 public subnets in different zones with an Ingress";
    expect(problemsWith(vpc())).toContain(message);
    expect(problemsWith(vpc(["subnet-0c3"]))).toContain(message);
    expect(parse(vpc(["subnet-0c3", "subnet-0d4"])).cluster).toMatchObject({ network: { publicSubnetIds: ["subnet-0c3", "subnet-0d4"] } });
    // Without an Ingress there is no ALB, and nothing to name.
    expect(parse({ ...vpc(), frontend: { expose: { type: "ClusterIP" } } }).cluster).toMatchObject({ network: { publicSubnetIds: [] } });
  });
  it("rejects an OIDC endpoint that is not https", () => {
    expect(problemsWith({ ...eks, oidcClientSecret: "x-secret", frontend: { expose: { ...ingress, certificateArn: CERTIFICATE, oidc: { ...OIDC, tokenEndpoint: "http://login.example.com/token" } } } })).toContain(
      "ai-assistant:frontend.expose.oidc.tokenEndpoint: expected an https URL",
    );
  });
});

describe("an Ingress on an existing cluster", () => {
  const existing = (expose: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...VALID, ...extra, frontend: { expose: { ...ingress, ...expose } } });
  it("needs the ingress controller's namespace, which the frontend's NetworkPolicy admits", () => {
    expect(problemsWith(existing({ className: "traefik" }))).toContain("ai-assistant:frontend.expose.controllerNamespace: expected the namespace of the cluster's ingress controller");
    expect(parse(existing({ className: "traefik", controllerNamespace: "traefik", controllerPodLabels: { "app.kubernetes.io/name": "traefik" } })).phase).toBe("mock");
  });
  it("does not need it when NetworkPolicies are off", () => {
    expect(parse(existing({ className: "traefik" }, { networkPolicies: { enabled: false } })).networkPolicies.enabled).toBe(false);
  });
  it("rejects an ACM certificate and OIDC, which are the stack's ALB's features on eks", () => {
    expect(problemsWith(existing({ controllerNamespace: "traefik", certificateArn: CERTIFICATE }))).toContain(
      "ai-assistant:frontend.expose.certificateArn: expected tlsSecretName on an existing cluster",
    );
    expect(problemsWith(existing({ controllerNamespace: "traefik", oidc: OIDC }))).toContain("ai-assistant:frontend.expose.oidc: expected no oidc on an existing cluster");
  });
});

describe("a LoadBalancer exposure", () => {
  it("admits everyone by default and the configured source ranges when set", () => {
    expect(parse({ ...VALID, frontend: { expose: { type: "LoadBalancer" } } }).frontend.expose).toEqual({ type: "LoadBalancer", annotations: {}, sourceRanges: ["0.0.0.0/0"] });
    expect(problemsWith({ ...VALID, frontend: { expose: { type: "LoadBalancer", sourceRanges: ["office"] } } })).toContain("ai-assistant:frontend.expose.sourceRanges[0]: expected an IPv4 CIDR");
  });
});

describe("monitoring namespaces and receivers", () => {
  it("puts the exporters in a namespace of their own, which must differ from Prometheus's", () => {
    expect(parse(VALID).monitoring).toMatchObject({ namespace: "monitoring", exportersNamespace: "monitoring-exporters", alertReceivers: [] });
    expect(problemsWith({ ...VALID, monitoring: { exportersNamespace: "monitoring" } })).toContain(
      'ai-assistant:monitoring.exportersNamespace: expected a namespace other than monitoring.namespace (monitoring): the exporters\' namespace is privileged, Prometheus\'s is restricted; found "monitoring"',
    );
  });
  it("needs each named receiver's secret", () => {
    const message = problemsWith({ ...VALID, monitoring: { alertReceivers: ["slack", "pagerduty"] } }, "prod");
    expect(message).toContain("ai-assistant:alertSlackWebhookUrl: expected a secret (the Slack webhook URL, because monitoring.alertReceivers names slack); set it with `pulumi config set --secret ai-assistant:alertSlackWebhookUrl <value> --stack prod`");
    expect(message).toContain("ai-assistant:alertPagerDutyRoutingKey: expected a secret (the PagerDuty routing key, because monitoring.alertReceivers names pagerduty)");
    expect(parse({ ...VALID, monitoring: { alertReceivers: ["slack"] }, alertSlackWebhookUrl: "https://hooks.slack.com/services/T/B/x" }).monitoring.alertReceivers).toEqual(["slack"]);
  });
  it("rejects an unknown or repeated receiver", () => {
    expect(problemsWith({ ...VALID, monitoring: { alertReceivers: ["email"] } })).toContain('ai-assistant:monitoring.alertReceivers[0]: expected "slack" or "pagerduty"; found "email"');
    expect(problemsWith({ ...VALID, monitoring: { alertReceivers: ["slack", "slack"] }, alertSlackWebhookUrl: "https://hooks.slack.com/x" })).toContain(
      "ai-assistant:monitoring.alertReceivers: expected each receiver once",
    );
  });
});

describe("cluster.loadBalancerController", () => {
  it("pins the chart version, exactly", () => {
    const cluster = parse({ ...eks }).cluster;
    expect(cluster.type === "eks" && cluster.loadBalancerController.chartVersion).toBe("3.5.0");
    expect(problemsWith({ ...VALID, cluster: { type: "eks", loadBalancerController: { chartVersion: "3.x" } } })).toContain(
      'ai-assistant:cluster.loadBalancerController.chartVersion: expected an exact chart version such as 3.5.0; found "3.x"',
    );
  });
});

describe("a Gateway exposure (an existing cluster's Gateway API)", () => {
  const gateway = { type: "Gateway", host: "chat.example.com", gatewayName: "public", gatewayNamespace: "gateways", sectionName: "https", controllerNamespace: "gateways" };
  it("attaches to the named Gateway's listener", () => {
    expect(parse({ ...VALID, frontend: { expose: gateway } }).frontend.expose).toEqual({ ...gateway, https: false });
  });
  it("needs the Gateway's data-plane namespace while NetworkPolicies are on", () => {
    const { controllerNamespace: _, ...withoutNamespace } = gateway;
    expect(problemsWith({ ...VALID, frontend: { expose: withoutNamespace } })).toContain(
      "ai-assistant:frontend.expose.controllerNamespace: expected the namespace of the Gateway's data-plane pods",
    );
  });
  it("is refused on eks, where the stack's ALB serves an Ingress", () => {
    expect(problemsWith({ ...VALID, cluster: { type: "eks" }, frontend: { expose: gateway } })).toContain('ai-assistant:frontend.expose.type: expected Ingress on eks');
  });
  it("in production, needs its listener to be HTTPS", () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const prod = { ...VALID, production: true, monitoring: { retention: "30d" }, backend: { image: `acme/backend@${digest}` } };
    const frontend = (https: boolean) => ({ image: `acme/frontend@${digest}`, expose: { ...gateway, https } });
    expect(problemsWith({ ...prod, frontend: frontend(false) })).toContain(
      "ai-assistant:frontend.expose.https: expected true in a production stack, with sectionName naming the Gateway's HTTPS listener: a plain-HTTP listener would serve the chat without TLS; found false",
    );
    expect(parse({ ...prod, frontend: frontend(true) }).production).toBe(true);
  });
});
