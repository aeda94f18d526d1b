/**
 * TRUST_PROXY_HOPS per exposure: derived in one place (components/app/proxy-hops.ts), checked against the backend's
 * own reading of `X-Forwarded-For` with the header each chain of proxies really sends, and rendered for the backend.
 */
import { IncomingMessage } from "http";
import { Socket } from "net";
import { trustProxyHops } from "../../../components/app/proxy-hops";
import { exposureSchema } from "../../../config/exposure";
import { clientAddress } from "../../../services/backend/src/rate-limit";
import { MOCK } from "../../support/configs";
import { objectOf, renderConfig } from "../../support/render";

const USER = "198.51.100.23";
/** What a user may put in the header themselves: it must never become their rate-limit identity. */
const FORGED = "6.6.6.6";

/** A request as the backend receives it: its peer is the frontend, its header whatever the chain built. */
function atBackend(forwardedFor: string): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.headers["x-forwarded-for"] = forwardedFor;
  Object.defineProperty(request.socket, "remoteAddress", { value: "10.1.0.5" });
  return request;
}

/**
 * Each exposure, and the `X-Forwarded-For` the backend sees for a user who sent a forged one: every proxy appends the
 * address of its peer (the ALB, ingress controllers and Gateway data planes in their default append mode; the
 * frontend in services/frontend/src/proxy.ts).
 */
const CHAINS = [
  // kubectl port-forward reaches the frontend from the pod's own loopback; the user is the one at the other end.
  { exposure: { type: "ClusterIP" }, hops: 1, header: `${FORGED}, 127.0.0.1`, client: "127.0.0.1" },
  // A layer-4 load balancer adds nothing: the frontend appends the address it sees.
  { exposure: { type: "LoadBalancer" }, hops: 1, header: `${FORGED}, ${USER}`, client: USER },
  // Controller (or the stack's ALB) appends the user, the frontend appends the controller.
  { exposure: { type: "Ingress", host: "chat.example.com" }, hops: 2, header: `${FORGED}, ${USER}, 10.0.224.17`, client: USER },
  // The Gateway's data plane appends the user, the frontend appends the Gateway pod.
  { exposure: { type: "Gateway", host: "chat.example.com", gatewayName: "public", gatewayNamespace: "gateways" }, hops: 2, header: `${FORGED}, ${USER}, 10.244.3.9`, client: USER },
];

describe("TRUST_PROXY_HOPS is the number of proxies in front of the backend", () => {
  it.each(CHAINS)("$exposure.type: $hops, which names the user and never the forged entry", ({ exposure, hops, header, client }) => {
    const hopsFound = trustProxyHops(exposureSchema.parse(exposure));
    expect(hopsFound).toBe(hops);
    expect(clientAddress(atBackend(header), hopsFound)).toBe(client);
    // And a user who forges more entries still gets their own bucket, not one they picked.
    expect(clientAddress(atBackend(`1.1.1.1, 2.2.2.2, ${header}`), hopsFound)).toBe(client);
  });

  it("one hop too few would put every Gateway user in the Gateway pod's bucket, one too many would trust the forgery", () => {
    const [, , , gateway] = CHAINS;
    expect(clientAddress(atBackend(gateway.header), gateway.hops - 1)).toBe("10.244.3.9");
    expect(clientAddress(atBackend(gateway.header), gateway.hops + 1)).toBe(FORGED);
  });
});

describe("what the backend is told", () => {
  const rateLimited = { ...MOCK, backend: { rateLimit: { enabled: true } } };
  const hopsOf = async (expose: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    objectOf(await renderConfig({ ...rateLimited, ...extra, frontend: { expose } }), "ConfigMap", "backend-settings").data.TRUST_PROXY_HOPS;

  it("a Gateway exposure renders two hops (the Gateway and the frontend)", async () => {
    expect(await hopsOf({ type: "Gateway", host: "chat.example.com", gatewayName: "public", gatewayNamespace: "gateways", controllerNamespace: "gateways" })).toBe("2");
  });

  it("the stack's ALB on eks renders two hops, and pins the ALB's append mode without ports that the count relies on", async () => {
    const result = await renderConfig({
      ...rateLimited,
      cluster: { type: "eks" },
      frontend: { expose: { type: "Ingress", host: "chat.example.com", certificateArn: "arn:aws:acm:us-west-2:246813579024:certificate/abc-123" } },
    });
    expect(objectOf(result, "ConfigMap", "backend-settings").data.TRUST_PROXY_HOPS).toBe("2");
    const attributes = objectOf(result, "Ingress", "frontend").metadata.annotations!["alb.ingress.kubernetes.io/load-balancer-attributes"].split(",");
    expect(attributes).toEqual(expect.arrayContaining(["routing.http.xff_header_processing.mode=append", "routing.http.xff_client_port.enabled=false"]));
  });

  it("a ClusterIP exposure renders one", async () => {
    expect(await hopsOf({ type: "ClusterIP" })).toBe("1");
  });
});
