/** The ALB's name (which its signer ARN carries) and attributes: the stack's, with the user's annotations over them. */
import { albAnnotations } from "../../../components/app/alb-annotations";
import { albName } from "../../../components/app/alb-access";
import { exposureSchema, IngressExposure } from "../../../config/exposure";

const CERTIFICATE = "arn:aws:acm:us-west-2:246813579024:certificate/abc-123";
const ingress = (annotations: Record<string, string> = {}) =>
  exposureSchema.parse({ type: "Ingress", host: "chat.example.com", certificateArn: CERTIFICATE, annotations }) as IngressExposure & { certificateArn: string };

describe("the ALB's name", () => {
  it("is the stack's, cut to the controller's 32 characters without a trailing hyphen", () => {
    expect(albName("prod", ingress())).toBe("ai-assistant-prod");
    expect(albName("a-very-long-stack-name-for-testing", ingress())).toBe("ai-assistant-a-very-long-stack-n");
    // The cut would leave "ai-assistant-staging-eu-west-1a-" (32): the hyphen goes.
    expect(albName("staging-eu-west-1a-b", ingress())).toBe("ai-assistant-staging-eu-west-1a");
    expect(albName("team_a.dev", ingress())).toBe("ai-assistant-team-a-dev");
  });

  it("is the user's when they name it, so that the signer the frontend expects follows it", () => {
    const expose = ingress({ "alb.ingress.kubernetes.io/load-balancer-name": "chat-public" });
    expect(albName("prod", expose)).toBe("chat-public");
    expect(albAnnotations({ expose, healthCheckPath: "/healthz", subnetIds: ["subnet-1", "subnet-2"], name: albName("prod", expose) })["alb.ingress.kubernetes.io/load-balancer-name"]).toBe("chat-public");
  });
});

describe("the ALB's attributes", () => {
  const attributesOf = (expose: IngressExposure & { certificateArn: string }) =>
    albAnnotations({ expose, healthCheckPath: "/healthz", subnetIds: ["subnet-1", "subnet-2"], name: "n" })["alb.ingress.kubernetes.io/load-balancer-attributes"];

  it("pin X-Forwarded-For to append the client's address without its port", () => {
    expect(attributesOf(ingress())).toBe("routing.http.xff_header_processing.mode=append,routing.http.xff_client_port.enabled=false");
  });

  it("keep the user's own attributes, which win on the same key", () => {
    const merged = attributesOf(ingress({ "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=600, routing.http.xff_client_port.enabled=true" })).split(",");
    expect(merged.sort()).toEqual(["idle_timeout.timeout_seconds=600", "routing.http.xff_client_port.enabled=true", "routing.http.xff_header_processing.mode=append"]);
  });
});
