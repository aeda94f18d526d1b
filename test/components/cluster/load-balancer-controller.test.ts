import controllerPolicy from "../../../components/cluster/policies/aws-load-balancer-controller-iam-policy.json";
import type { RenderResult } from "../../../tools/render";
import { managedPoliciesByRole, planned, plannedOne } from "../../support/eks";
import { objectOf, objectsOf, renderConfig, renderStack } from "../../support/render";

const CERTIFICATE = "arn:aws:acm:us-west-2:246813579024:certificate/3f6c2a1e-8b4d-4c7a-9e21-5d0b7c9a4f12";
const OIDC = {
  issuer: "https://login.example.com",
  authorizationEndpoint: "https://login.example.com/authorize",
  tokenEndpoint: "https://login.example.com/token",
  userInfoEndpoint: "https://login.example.com/userinfo",
  clientId: "chat-client",
};
const CLIENT_SECRET = "oidc-client-secret-never-shown-42";

describe("the prod stack's way in", () => {
  let prod: RenderResult;
  beforeAll(async () => {
    prod = await renderStack("prod");
  });

  it("installs the AWS Load Balancer Controller from eks-charts, pinned, as a Helm release in kube-system", () => {
    const release = plannedOne(prod, "kubernetes:helm.sh/v3:Release", "cluster-load-balancer-controller").inputs;
    expect(release).toMatchObject({
      chart: "aws-load-balancer-controller",
      version: "3.5.0",
      repositoryOpts: { repo: "https://aws.github.io/eks-charts" },
      namespace: "kube-system",
    });
    expect(release.values).toMatchObject({
      clusterName: "ai-assistant-prod",
      region: "us-west-2",
      vpcId: expect.stringMatching(/-id$/),
      keepTLSSecret: true,
      serviceAccount: { create: true, name: "aws-load-balancer-controller", annotations: { "eks.amazonaws.com/role-arn": expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) } },
    });
  });

  it("registers no Service mutating webhook, which would refuse every other chart's Services until the controller is ready", () => {
    const release = plannedOne(prod, "kubernetes:helm.sh/v3:Release", "cluster-load-balancer-controller").inputs;
    // The chart's default is true with failurePolicy Fail (eks-charts 3.5.0 values.yaml); the stack has no LoadBalancer Service.
    expect((release.values as Record<string, unknown>).enableServiceMutatorWebhook).toBe(false);
    expect(objectsOf(prod, "Service").filter((service) => service.spec?.type === "LoadBalancer")).toEqual([]);
  });

  it("labels the app namespace for the controller's pod readiness gate and creates the frontend's pods after the controller", () => {
    expect(objectOf(prod, "Namespace", "ai-assistant").metadata.labels).toMatchObject({ "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" });
    const release = plannedOne(prod, "kubernetes:helm.sh/v3:Release", "cluster-load-balancer-controller");
    expect(plannedOne(prod, "kubernetes:apps/v1:Deployment", "frontend").dependencies).toContain(release.urn);
  });

  it("gives the controller an IRSA role that its ServiceAccount alone may assume, with AWS's published policy and nothing else", () => {
    const trust = JSON.parse(String(plannedOne(prod, "aws:iam/role:Role", "cluster-load-balancer-controller").inputs.assumeRolePolicy)).Statement[0];
    expect(Object.entries(trust.Condition.StringEquals)).toContainEqual([expect.stringMatching(/:sub$/), ["system:serviceaccount:kube-system:aws-load-balancer-controller"]]);
    const inline = plannedOne(prod, "aws:iam/rolePolicy:RolePolicy", "cluster-load-balancer-controller").inputs;
    expect(JSON.parse(String(inline.policy))).toEqual(controllerPolicy);
    expect(managedPoliciesByRole(prod)["cluster-load-balancer-controller"]).toEqual([]);
    // The file is AWS's: the actions the controller needs to make ALBs are there.
    expect(JSON.stringify(controllerPolicy)).toContain("elasticloadbalancing:CreateLoadBalancer");
  });

  it("turns on the VPC CNI's network policy agent, without which the NetworkPolicies would not be enforced", () => {
    const cni = plannedOne(prod, "aws:eks/addon:Addon", "cluster-vpc-cni").inputs;
    expect(JSON.parse(String(cni.configurationValues))).toEqual({ enableNetworkPolicy: "true" });
  });

  it("exposes the frontend through an internet-facing ALB: HTTPS with the ACM certificate, HTTP redirected, pods as targets", () => {
    const ingress = objectOf(prod, "Ingress", "frontend");
    expect(ingress.spec.ingressClassName).toBe("alb");
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.metadata.annotations).toEqual({
      "alb.ingress.kubernetes.io/scheme": "internet-facing",
      "alb.ingress.kubernetes.io/target-type": "ip",
      "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80},{"HTTPS":443}]',
      "alb.ingress.kubernetes.io/ssl-redirect": "443",
      // prod commits no certificate: the render shows where yours goes (and lists it to set).
      "alb.ingress.kubernetes.io/certificate-arn": "<to set: ai-assistant:frontend.expose.certificateArn>",
      "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "alb.ingress.kubernetes.io/healthcheck-path": "/healthz",
      // In the stack's public subnets, which the frontend's NetworkPolicy admits (and nothing else of the VPC).
      "alb.ingress.kubernetes.io/subnets": "cluster-network-public-0-id,cluster-network-public-1-id",
      "alb.ingress.kubernetes.io/load-balancer-name": "ai-assistant-prod",
      "alb.ingress.kubernetes.io/load-balancer-attributes": "routing.http.xff_header_processing.mode=append,routing.http.xff_client_port.enabled=false",
    });
    expect(prod.outputs.frontendUrl).toBe("https://chat.example.com/");
  });

  it("names no nginx class and installs no ingress-nginx: the controller its exposure needs is the only one in the plan", () => {
    expect(objectsOf(prod, "Ingress").map((ingress) => ingress.spec.ingressClassName)).toEqual(["alb"]);
    const charts = prod.resources.filter((r) => r.type.startsWith("kubernetes:helm.sh/")).map((r) => String(r.inputs.chart));
    expect(charts.sort()).toEqual(["argo-rollouts", "aws-load-balancer-controller", "cloudnative-pg", "dcgm-exporter", "keda", "kube-prometheus-stack", "nvidia-device-plugin", "oci://public.ecr.aws/karpenter/karpenter", "valkey"]);
    expect(JSON.stringify(prod.resources)).not.toContain("ingress-nginx");
  });
});

describe("OIDC sign-in in front of the chat", () => {
  let result: RenderResult;
  beforeAll(async () => {
    result = await renderConfig({
      phase: "mock",
      monitoring: { enabled: false },
      cluster: { type: "eks" },
      frontend: { expose: { type: "Ingress", host: "chat.example.com", certificateArn: CERTIFICATE, oidc: OIDC } },
      oidcClientSecret: CLIENT_SECRET,
    });
  });

  it("makes the ALB authenticate every user with the identity provider before the chat", () => {
    const annotations = objectOf(result, "Ingress", "frontend").metadata.annotations!;
    expect(annotations["alb.ingress.kubernetes.io/auth-type"]).toBe("oidc");
    expect(annotations["alb.ingress.kubernetes.io/auth-on-unauthenticated-request"]).toBe("authenticate");
    expect(annotations["alb.ingress.kubernetes.io/auth-scope"]).toBe("openid");
    expect(JSON.parse(annotations["alb.ingress.kubernetes.io/auth-idp-oidc"])).toEqual({
      issuer: OIDC.issuer,
      authorizationEndpoint: OIDC.authorizationEndpoint,
      tokenEndpoint: OIDC.tokenEndpoint,
      userInfoEndpoint: OIDC.userInfoEndpoint,
      secretName: "frontend-oidc",
    });
  });

  it("names the ALB, and tells the frontend to accept that ALB's signature alone (region and signer, from the stack's account)", () => {
    const annotations = objectOf(result, "Ingress", "frontend").metadata.annotations!;
    expect(annotations["alb.ingress.kubernetes.io/load-balancer-name"]).toBe("ai-assistant-test");
    const container = objectOf(result, "Deployment", "frontend").spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((entry: { name: string; value: string }) => [entry.name, entry.value]));
    expect(env.ALB_OIDC_REGION).toBe("us-west-2");
    expect(env.ALB_OIDC_SIGNER).toBe("arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/ai-assistant-test/*");
    expect(env).not.toHaveProperty("ALB_OIDC_KEY_URL");
  });

  it("lets the frontend fetch the ALB's keys (443 outside the private ranges), and only with OIDC on", async () => {
    const egress = objectOf(result, "NetworkPolicy", "frontend").spec.egress;
    expect(egress).toHaveLength(2);
    expect(egress[1]).toEqual({
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/16", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"] } }],
      ports: [{ protocol: "TCP", port: 443 }],
    });
    const withoutOidc = await renderConfig({
      phase: "mock",
      monitoring: { enabled: false },
      cluster: { type: "eks" },
      frontend: { expose: { type: "Ingress", host: "chat.example.com", certificateArn: CERTIFICATE } },
    });
    expect(objectOf(withoutOidc, "NetworkPolicy", "frontend").spec.egress).toHaveLength(1);
    const env = objectOf(withoutOidc, "Deployment", "frontend").spec.template.spec.containers[0].env.map((entry: { name: string }) => entry.name);
    expect(env).not.toContain("ALB_OIDC_SIGNER");
  });

  it("hands the client ID and secret to the controller in a Secret with its documented keys, the secret never in the render", () => {
    const secret = objectOf(result, "Secret", "frontend-oidc");
    expect(Object.keys(secret.stringData).sort()).toEqual(["clientID", "clientSecret"]);
    expect(JSON.stringify(result)).not.toContain(CLIENT_SECRET);
  });
});

describe("an existing cluster", () => {
  it("has no load balancer controller: its own ingress class serves the Ingress", async () => {
    const result = await renderConfig({
      phase: "mock",
      monitoring: { enabled: false },
      frontend: { expose: { type: "Ingress", host: "chat.example.com", className: "traefik", tlsSecretName: "chat-tls", controllerNamespace: "traefik" } },
    });
    expect(planned(result, "kubernetes:helm.sh/v3:Release")).toEqual([]);
    // No ALB, so no readiness gate to inject.
    expect(objectOf(result, "Namespace", "ai-assistant").metadata.labels).not.toHaveProperty(["elbv2.k8s.aws/pod-readiness-gate-inject"]);
    expect(objectOf(result, "Ingress", "frontend").spec.ingressClassName).toBe("traefik");
    expect(objectOf(result, "Ingress", "frontend").metadata.annotations).toEqual({});
  });
});
