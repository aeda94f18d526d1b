import { dockerHubPath } from "../../../components/model-servers/local-models";
import type { RenderResult } from "../../../tools/render";
import { planned, plannedOne } from "../../support/eks";
import { problemsWith, VALID } from "../../support/config";
import { objectOf, renderStack } from "../../support/render";

const VLLM_DIGEST = "sha256:8a69ffad015f138d7170c4ddc429e230a3bc1c1719f67e14324749df200a4b90";

describe("the prod stack's ECR pull-through cache of Docker Hub", () => {
  let prod: RenderResult;
  beforeAll(async () => {
    prod = await renderStack("prod");
  });

  it("caches Docker Hub under a prefix of the stack's, logged in with a secret under ecr-pullthroughcache/", () => {
    const rule = plannedOne(prod, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "cluster-docker-hub-cache").inputs;
    expect(rule).toMatchObject({ ecrRepositoryPrefix: "docker-hub-prod", upstreamRegistryUrl: "registry-1.docker.io" });
    const secret = plannedOne(prod, "aws:secretsmanager/secret:Secret", "cluster-docker-hub-cache");
    expect(secret.inputs.name).toMatch(/^ecr-pullthroughcache\//);
    expect(rule.credentialArn).toMatch(/^arn:aws:secretsmanager:/);
    // The login is a secret: never in the render.
    expect(plannedOne(prod, "aws:secretsmanager/secretVersion:SecretVersion", "cluster-docker-hub-cache").inputs.secretString).toBe("[secret]");
  });

  it("lets both node roles import into the cache's repositories, and nothing else", () => {
    const policies = planned(prod, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.startsWith("cluster-docker-hub-cache-nodes-"));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(JSON.parse(String(policy.inputs.policy)).Statement).toEqual([
        { Sid: "PullThroughDockerHubCache", Effect: "Allow", Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], Resource: "arn:aws:ecr:us-west-2:123456789012:repository/docker-hub-prod/*" },
      ]);
    }
    const roles = policies.map((p) => p.inputs.role).sort();
    expect(roles).toEqual(["cluster-karpenter-node", "cluster-nodes-node"].map((name) => expect.stringContaining(name)));
  });

  it("runs the vLLM image from the cache, by the same tag and digest, in the init and server containers", () => {
    const spec = objectOf(prod, "Deployment", "model-server").spec.template.spec;
    const expected = `123456789012.dkr.ecr.us-west-2.amazonaws.com/docker-hub-prod/vllm/vllm-openai:v0.30.0@${VLLM_DIGEST}`;
    expect(spec.initContainers[0].image).toBe(expected);
    expect(spec.containers[0].image).toBe(expected);
  });
});

describe("Docker Hub paths", () => {
  it.each([
    ["vllm/vllm-openai", "vllm/vllm-openai"],
    ["ollama/ollama", "ollama/ollama"],
    ["docker.io/vllm/vllm-openai", "vllm/vllm-openai"],
    ["nginx", "library/nginx"],
    ["docker.io/nginx", "library/nginx"],
  ])("%s comes through the cache as %s", (repository, path) => {
    expect(dockerHubPath(repository)).toBe(path);
  });

  it.each(["ghcr.io/acme/vllm", "public.ecr.aws/x/y", "localhost:5001/ai-assistant/backend", "registry.example.com:5000/a"])("%s is not on Docker Hub: pulled as written", (repository) => {
    expect(dockerHubPath(repository)).toBeUndefined();
  });
});

describe("the cache's config", () => {
  it("requires the Docker Hub login as two secrets, with the commands that set them", () => {
    const message = problemsWith({ ...VALID, cluster: { type: "eks", registry: { dockerHubCache: true } } }, "prod");
    expect(message).toContain("ai-assistant:dockerHubUsername: expected a secret (the Docker Hub login of the ECR pull-through cache, because cluster.registry.dockerHubCache is true)");
    expect(message).toContain("pulumi config set --secret ai-assistant:dockerHubAccessToken <value> --stack prod");
  });
});
