import type { RenderResult } from "../tools/render";
import { Endpoint, NetworkPolicies, PodEndpoint } from "./support/network-policy";
import { HOSTED, MOCK, OLLAMA, TRITON } from "./support/configs";
import { objectOf, objectsOf, renderConfig, renderStack } from "./support/render";
import { valkeyChartRender } from "./support/valkey-chart";

/**
 * Every path the rendered NetworkPolicies open, asked of a small evaluator of the NetworkPolicy API's semantics:
 * from a set of sources to a set of destinations and ports, the allowed ones must be exactly the assistant's paths.
 */

/** Valkey's pod as the valkey-io chart labels it (rendered by Helm with the prod values: valkey-chart.test.ts keeps it current). */
const chartValkeyPod = (namespace: string): PodEndpoint => ({ namespace, labels: objectOf(valkeyChartRender(namespace), "Deployment", "valkey").spec.template.metadata.labels });

const podOf = (result: RenderResult, deployment: string): PodEndpoint => {
  const object = objectOf(result, "Deployment", deployment);
  return { namespace: object.metadata.namespace!, labels: object.spec.template.metadata.labels };
};

/** Pods and addresses around the app that must not get in or be reached, unless a rule says so. */
const OUTSIDERS = {
  prometheus: { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "kube-prometheus-stack-prometheus" } },
  grafana: { namespace: "monitoring", labels: { "app.kubernetes.io/name": "grafana" } },
  otherNamespace: { namespace: "team-b", labels: { app: "anything", "app.kubernetes.io/name": "backend" } },
  kubeDns: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
  kubeSystemOther: { namespace: "kube-system", labels: { "k8s-app": "metrics-server" } },
  internet: { ip: "203.0.113.7" },
  // The prod VPC (10.0.0.0/16, two zones): public subnets 10.0.224.0/22 and 10.0.228.0/22 (components/cluster/network.ts).
  albInVpc: { ip: "10.0.224.10" },
  nodeInVpc: { ip: "10.0.5.5" },
  metadataService: { ip: "169.254.169.254" },
} satisfies Record<string, Endpoint>;

type Probe = { port: number; protocol?: "TCP" | "UDP" };
const PORTS: Probe[] = [{ port: 8080 }, { port: 8000 }, { port: 9000 }, { port: 8002 }, { port: 11434 }, { port: 6379 }, { port: 9121 }, { port: 443 }, { port: 80 }, { port: 3000 }, { port: 53, protocol: "UDP" }, { port: 53 }];

/** Every allowed `from -> to:port/protocol` among the endpoints where at least one side is an app pod. */
function allowedPaths(result: RenderResult, appPods: Record<string, PodEndpoint>): string[] {
  const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
  const endpoints: Record<string, Endpoint> = { ...appPods, ...OUTSIDERS };
  const allowed: string[] = [];
  for (const [fromName, from] of Object.entries(endpoints)) {
    for (const [toName, to] of Object.entries(endpoints)) {
      if (fromName === toName || (!(fromName in appPods) && !(toName in appPods))) continue;
      for (const { port, protocol = "TCP" } of PORTS) {
        if (policies.canConnect(from, to, port, protocol)) allowed.push(`${fromName} -> ${toName}:${port}/${protocol}`);
      }
    }
  }
  return allowed.sort();
}

const dnsFor = (...pods: string[]) => pods.flatMap((pod) => [`${pod} -> kubeDns:53/TCP`, `${pod} -> kubeDns:53/UDP`]);

describe("given the prod stack (vLLM, hosted fallback, ALB, monitoring)", () => {
  let result: RenderResult;
  let pods: Record<string, PodEndpoint>;
  beforeAll(async () => {
    result = await renderStack("prod");
    pods = { frontend: podOf(result, "frontend"), backend: podOf(result, "backend"), modelServer: podOf(result, "model-server"), valkey: chartValkeyPod(podOf(result, "backend").namespace) };
  });

  it("gives a canary's pods, which Argo Rollouts labels with their pod-template hash, the same paths as the stable ones", () => {
    expect(objectsOf(result, "Rollout").map((r) => r.metadata.name).sort()).toEqual(["backend", "frontend"]);
    const hashed = Object.fromEntries(Object.entries(pods).map(([name, pod]) => [name, { ...pod, labels: { ...pod.labels, "rollouts-pod-template-hash": "7c9d4f8b6" } }]));
    expect(allowedPaths(result, hashed)).toEqual(allowedPaths(result, pods));
  });

  it("a default deny selects every pod of the namespace, in both directions", () => {
    const deny = objectOf(result, "NetworkPolicy", "default-deny");
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(deny.metadata.namespace).toBe("ai-assistant");
  });

  it("opens exactly the assistant's paths, and nothing more", () => {
    expect(allowedPaths(result, pods)).toEqual(
      [
        // The ALB's public subnets and nothing else of the VPC: not the nodes, nor their pods.
        "albInVpc -> frontend:8080/TCP",
        "frontend -> backend:8080/TCP",
        "backend -> modelServer:8000/TCP",
        "backend -> internet:443/TCP",
        "modelServer -> internet:443/TCP",
        "prometheus -> backend:8080/TCP",
        "prometheus -> modelServer:8000/TCP",
        // Valkey (the valkey-io chart's pod): the backend's alone, its exporter Prometheus's; it calls no one but DNS.
        "backend -> valkey:6379/TCP",
        "prometheus -> valkey:9121/TCP",
        ...dnsFor("frontend", "backend", "modelServer", "valkey"),
      ].sort(),
    );
  });

  it("the frontend admits the ALB's public subnets alone, derived from the VPC the stack creates, not the VPC", () => {
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    expect(objectOf(result, "NetworkPolicy", "frontend").spec.ingress).toEqual([
      { from: [{ ipBlock: { cidr: "10.0.224.0/22" } }, { ipBlock: { cidr: "10.0.228.0/22" } }], ports: [{ protocol: "TCP", port: 8080 }] },
    ]);
    // An ALB node in either zone's public subnet gets in.
    for (const ip of ["10.0.224.10", "10.0.227.254", "10.0.228.4", "10.0.231.200"]) expect(policies.canConnect({ ip }, pods.frontend, 8080)).toBe(true);
    // An instance or a pod (VPC CNI: pods take node-subnet addresses) in a private subnet, or elsewhere in the VPC, does not.
    for (const ip of ["10.0.5.5", "10.0.31.9", "10.0.32.1", "10.0.200.3", "10.0.232.1"]) expect(policies.canConnect({ ip }, pods.frontend, 8080)).toBe(false);
    // The backend stays the frontend's alone, whatever sits in the public subnets.
    expect(policies.canConnect(OUTSIDERS.albInVpc, pods.backend, 8080)).toBe(false);
  });

  it("pins the ALB to those same subnets, so its addresses are the ones admitted", () => {
    const subnets = objectOf(result, "Ingress", "frontend").metadata.annotations!["alb.ingress.kubernetes.io/subnets"];
    expect(subnets).toBe("cluster-network-public-0-id,cluster-network-public-1-id");
    const subnetResources = result.resources.filter((r) => r.type === "aws:ec2/subnet:Subnet" && r.name.includes("-public-"));
    expect(subnetResources.map((r) => [r.name, r.inputs.cidrBlock]).sort()).toEqual([
      ["cluster-network-public-0", "10.0.224.0/22"],
      ["cluster-network-public-1", "10.0.228.0/22"],
    ]);
  });

  it("so the frontend reaches neither the model server nor the internet, and another namespace reaches nothing", () => {
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    expect(policies.canConnect(pods.frontend, pods.modelServer, 8000)).toBe(false);
    expect(policies.canConnect(pods.frontend, OUTSIDERS.internet, 443)).toBe(false);
    expect(policies.canConnect(OUTSIDERS.otherNamespace, pods.backend, 8080)).toBe(false);
    expect(policies.canConnect(OUTSIDERS.otherNamespace, pods.modelServer, 8000)).toBe(false);
  });

  it("the internet-bound paths leave out the VPC and every private and link-local range", () => {
    const backend = objectOf(result, "NetworkPolicy", "backend");
    const internet = backend.spec.egress.find((rule: { ports: { port: number }[] }) => rule.ports[0].port === 443);
    expect(internet.to).toEqual([
      { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/16", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"] } },
    ]);
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    for (const target of [OUTSIDERS.nodeInVpc, OUTSIDERS.metadataService, OUTSIDERS.albInVpc]) {
      expect(policies.canConnect(pods.backend, target, 443)).toBe(false);
    }
  });
});

describe("given the dev stack (mock phase, ClusterIP, monitoring)", () => {
  it("only the frontend reaches the backend, only Prometheus scrapes it, and nothing leaves but DNS", async () => {
    const result = await renderStack("dev");
    const pods = { frontend: podOf(result, "frontend"), backend: podOf(result, "backend") };
    expect(allowedPaths(result, pods)).toEqual(["frontend -> backend:8080/TCP", "prometheus -> backend:8080/TCP", ...dnsFor("frontend", "backend")].sort());
  });
});

describe("variants", () => {
  const pathsOf = async (config: Record<string, unknown>, deployments: Record<string, string>) => {
    const result = await renderConfig(config);
    const pods = Object.fromEntries(Object.entries(deployments).map(([key, name]) => [key, { ...podOf(result, name) }]));
    return { result, pods, paths: allowedPaths(result, pods) };
  };
  const monitoringNs = { monitoring: { enabled: true, namespace: "monitoring" }, grafanaAdminPassword: "pw-0123456789" };

  it("a hosted-api backend reaches 443 outside the private ranges, and only the configured CIDRs when set", async () => {
    const open = await pathsOf(HOSTED, { frontend: "frontend", backend: "backend" });
    expect(open.paths).toContain("backend -> internet:443/TCP");
    expect(open.paths).not.toContain("backend -> nodeInVpc:443/TCP");
    expect(open.paths).not.toContain("backend -> metadataService:80/TCP");
    const narrow = await renderConfig({ ...HOSTED, networkPolicies: { hostedApiCidrs: ["198.51.100.0/24"] } });
    const policies = new NetworkPolicies(objectsOf(narrow, "NetworkPolicy"));
    expect(policies.canConnect(podOf(narrow, "backend"), { ip: "198.51.100.20" }, 443)).toBe(true);
    expect(policies.canConnect(podOf(narrow, "backend"), OUTSIDERS.internet, 443)).toBe(false);
    // An except outside its cidr is invalid in the API: none is written.
    expect(objectOf(narrow, "NetworkPolicy", "backend").spec.egress[0].to).toEqual([{ ipBlock: { cidr: "198.51.100.0/24" } }]);
  });

  it("a mock backend never leaves the cluster", async () => {
    expect((await pathsOf(MOCK, { frontend: "frontend", backend: "backend" })).paths).not.toContain("backend -> internet:443/TCP");
  });

  it("Ollama's port is the backend's alone (no metrics), and closing the model hub closes the pull path", async () => {
    const open = await pathsOf({ ...OLLAMA, ...monitoringNs }, { backend: "backend", modelServer: "model-server" });
    expect(open.paths).toContain("backend -> modelServer:11434/TCP");
    expect(open.paths).toContain("modelServer -> internet:443/TCP");
    expect(open.paths).not.toContain("prometheus -> modelServer:11434/TCP");
    const closed = await pathsOf({ ...OLLAMA, networkPolicies: { modelHub: { enabled: false } } }, { backend: "backend", modelServer: "model-server" });
    expect(closed.paths.filter((path) => path.startsWith("modelServer ->"))).toEqual(dnsFor("modelServer").sort());
  });

  it("Triton's OpenAI port (9000) admits the backend and Prometheus, which scrapes /metrics there; nothing else is open", async () => {
    const { paths } = await pathsOf({ ...TRITON, ...monitoringNs }, { backend: "backend", modelServer: "model-server" });
    expect(paths.filter((path) => path.includes("-> modelServer:"))).toEqual(["backend -> modelServer:9000/TCP", "prometheus -> modelServer:9000/TCP"]);
    expect(paths).toContain("backend -> modelServer:9000/TCP");
    expect(paths).toContain("modelServer -> internet:443/TCP");
  });

  it("without monitoring, nothing scrapes", async () => {
    const { paths } = await pathsOf(MOCK, { frontend: "frontend", backend: "backend" });
    expect(paths.filter((path) => path.startsWith("prometheus"))).toEqual([]);
  });

  it("an Ingress on an existing cluster admits its controller's namespace alone", async () => {
    const config = { ...MOCK, frontend: { expose: { type: "Ingress", host: "chat.example.com", className: "traefik", controllerNamespace: "traefik" } } };
    const result = await renderConfig(config);
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    const frontend = podOf(result, "frontend");
    expect(policies.canConnect({ namespace: "traefik", labels: { "app.kubernetes.io/name": "traefik" } }, frontend, 8080)).toBe(true);
    expect(policies.canConnect(OUTSIDERS.otherNamespace, frontend, 8080)).toBe(false);
    expect(policies.canConnect({ namespace: "traefik", labels: {} }, podOf(result, "backend"), 8080)).toBe(false);
  });

  it("a LoadBalancer admits its source ranges, which the Service also enforces", async () => {
    const result = await renderConfig({ ...MOCK, frontend: { expose: { type: "LoadBalancer", sourceRanges: ["198.51.100.0/24"] } } });
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    expect(policies.canConnect({ ip: "198.51.100.9" }, podOf(result, "frontend"), 8080)).toBe(true);
    expect(policies.canConnect(OUTSIDERS.internet, podOf(result, "frontend"), 8080)).toBe(false);
    expect(objectOf(result, "Service", "frontend").spec.loadBalancerSourceRanges).toEqual(["198.51.100.0/24"]);
  });

  it("on an existing VPC the frontend admits the named public subnets' ranges (looked up), and the VPC's is excepted", async () => {
    const result = await renderConfig({
      ...HOSTED,
      cluster: { type: "eks", network: { type: "existing", vpcId: "vpc-0abc123", privateSubnetIds: ["subnet-0aaa111", "subnet-0bbb222"], publicSubnetIds: ["subnet-0ccc333", "subnet-0ddd444"] } },
      frontend: { expose: { type: "Ingress", host: "chat.example.com", certificateArn: "arn:aws:acm:us-west-2:246813579024:certificate/abc-123" } },
    });
    // The offline render's account answers each subnet lookup with a /24 of the VPC 10.20.0.0/16 (tools/mock-aws.ts).
    const from = objectOf(result, "NetworkPolicy", "frontend").spec.ingress[0].from as { ipBlock: { cidr: string } }[];
    expect(from).toHaveLength(2);
    for (const peer of from) expect(peer.ipBlock.cidr).toMatch(/^10\.20\.\d{1,3}\.0\/24$/);
    expect(from.map((peer) => peer.ipBlock.cidr)).not.toContain("10.20.0.0/16");
    expect(objectOf(result, "Ingress", "frontend").metadata.annotations!["alb.ingress.kubernetes.io/subnets"]).toBe("subnet-0ccc333,subnet-0ddd444");
    const backend = objectOf(result, "NetworkPolicy", "backend").spec.egress.find((rule: { ports: { port: number }[] }) => rule.ports[0].port === 443);
    expect(backend.to[0].ipBlock.except).toContain("10.20.0.0/16");
  });

  it("networkPolicies.enabled false writes none at all, for a plugin that would ignore them", async () => {
    const result = await renderConfig({ ...OLLAMA, networkPolicies: { enabled: false } });
    expect(objectsOf(result, "NetworkPolicy")).toEqual([]);
  });
});

describe("a Gateway exposure on an existing cluster", () => {
  it("routes its host to the frontend through an HTTPRoute on that Gateway, and admits the Gateway's pods alone", async () => {
    const expose = { type: "Gateway", host: "chat.example.com", gatewayName: "public", gatewayNamespace: "gateways", sectionName: "https", https: true, controllerNamespace: "gateways" };
    const result = await renderConfig({ ...MOCK, frontend: { expose } });
    const route = objectOf(result, "HTTPRoute", "frontend");
    expect(route.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(route.spec).toEqual({
      parentRefs: [{ name: "public", namespace: "gateways", sectionName: "https" }],
      hostnames: ["chat.example.com"],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "frontend", port: 8080 }] }],
    });
    expect(result.outputs.frontendUrl).toBe("https://chat.example.com/");
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    expect(policies.canConnect({ namespace: "gateways", labels: { "app.kubernetes.io/name": "envoy" } }, podOf(result, "frontend"), 8080)).toBe(true);
    expect(policies.canConnect(OUTSIDERS.otherNamespace, podOf(result, "frontend"), 8080)).toBe(false);
    expect(objectsOf(result, "Ingress")).toEqual([]);
  });
});

describe("kubelet probes on a plugin that does not exempt the node", () => {
  it("are admitted from networkPolicies.probeSourceCidrs to every pod, and from nowhere else", async () => {
    const result = await renderConfig({ ...MOCK, networkPolicies: { probeSourceCidrs: ["172.18.0.0/16"] } });
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    for (const name of ["frontend", "backend"]) {
      expect(policies.canConnect({ ip: "172.18.0.3" }, podOf(result, name), 8080)).toBe(true);
      expect(policies.canConnect({ ip: "172.19.0.3" }, podOf(result, name), 8080)).toBe(false);
    }
    expect(objectsOf(await renderConfig(MOCK), "NetworkPolicy", "allow-node-probes")).toEqual([]);
  });
});

describe("an openai-compatible API on its own port in a private range", () => {
  it("is reached on its base URL's port once its range is named and no longer excepted", async () => {
    const result = await renderConfig({
      ...HOSTED,
      hostedApi: { provider: "openai-compatible", model: "m", baseUrl: "http://llm.internal.example:8081/v1" },
      networkPolicies: { hostedApiCidrs: ["192.168.10.0/24"], privateCidrs: ["10.0.0.0/8", "169.254.0.0/16"] },
    });
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    expect(policies.canConnect(podOf(result, "backend"), { ip: "192.168.10.5" }, 8081)).toBe(true);
    expect(policies.canConnect(podOf(result, "backend"), { ip: "192.168.10.5" }, 443)).toBe(false);
  });
});

describe("given the prod stack's knowledge database", () => {
  const DB_PORTS: Probe[] = [{ port: 5432 }, { port: 8000 }, { port: 9187 }, { port: 8080 }, { port: 443 }, { port: 6443 }];
  const operator = { namespace: "cnpg-system", labels: { "app.kubernetes.io/name": "cloudnative-pg", "app.kubernetes.io/instance": "cnpg" } };
  // The EKS API endpoint's ENIs sit in the VPC's private subnets.
  const apiServer = { ip: "10.0.12.34" };

  it("admits the backend, the other instances, the operator and Prometheus, each on its ports; reaches its peers, the API server and S3 only", async () => {
    const result = await renderStack("prod");
    const policies = new NetworkPolicies(objectsOf(result, "NetworkPolicy"));
    const inherited = objectOf(result, "Cluster", "knowledge-db").spec.inheritedMetadata.labels;
    const instance = (n: number): PodEndpoint => ({ namespace: "ai-assistant", labels: { ...inherited, "cnpg.io/cluster": "knowledge-db", "cnpg.io/instanceName": `knowledge-db-${n}`, "cnpg.io/podRole": "instance" } });
    const endpoints: Record<string, Endpoint> = {
      db1: instance(1),
      db2: instance(2),
      backend: podOf(result, "backend"),
      frontend: podOf(result, "frontend"),
      modelServer: podOf(result, "model-server"),
      operator,
      apiServer,
      ...OUTSIDERS,
    };
    const allowed: string[] = [];
    for (const [fromName, from] of Object.entries(endpoints)) {
      for (const [toName, to] of Object.entries(endpoints)) {
        if (fromName === toName || (fromName !== "db1" && toName !== "db1")) continue;
        for (const { port } of DB_PORTS) if (policies.canConnect(from, to, port, "TCP")) allowed.push(`${fromName} -> ${toName}:${port}`);
      }
    }
    expect(allowed.sort()).toEqual(
      [
        "backend -> db1:5432",
        "db2 -> db1:5432",
        "db2 -> db1:8000",
        "db1 -> db2:5432",
        "db1 -> db2:8000",
        "operator -> db1:5432",
        "operator -> db1:8000",
        "prometheus -> db1:9187",
        // The API server's address is not known to the program: the private ranges, on its ports only.
        "db1 -> apiServer:443",
        "db1 -> apiServer:6443",
        // So other private addresses on those ports too (a known width of this rule, docs/knowledge.md), never the
        // instance metadata service or the internet.
        "db1 -> albInVpc:443",
        "db1 -> albInVpc:6443",
        "db1 -> nodeInVpc:443",
        "db1 -> nodeInVpc:6443",
        // Barman Cloud to S3 and STS (backups): the internet on 443, never a private range.
        "db1 -> internet:443",
      ].sort(),
    );
  });
});
