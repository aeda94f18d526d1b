/**
 * How many proxies stand between a user and the backend, by the frontend's exposure: the backend's rate limit names
 * a client by the `X-Forwarded-For` entry that many places from the end (services/backend/src/rate-limit.ts), so
 * the count must be exact. One too few and every user shares the nearest proxy's bucket; one too many and anyone can
 * pick their own bucket by sending a forged header.
 *
 * Each proxy appends the address of the peer that connected to it:
 * - none (ClusterIP, `kubectl port-forward`): the frontend alone.
 * - LoadBalancer: a layer-4 load balancer adds no header; the frontend appends the address it sees (the client's, or
 *   a node's where kube-proxy rewrites it). One hop.
 * - Ingress: the controller appends the client's address, then the frontend appends the controller's. Two hops. The
 *   stack's ALB on eks does the same in its `append` mode, which the stack pins (components/app/alb-annotations.ts).
 * - Gateway: the Gateway's data plane (Envoy and the like) appends the client's address, the frontend the Gateway
 *   pod's. Two hops.
 */
import { ExposureConfig } from "../../config/exposure";

export function trustProxyHops(expose: ExposureConfig): number {
  switch (expose.type) {
    case "ClusterIP":
    case "LoadBalancer":
      return 1;
    case "Ingress":
    case "Gateway":
      return 2;
  }
}
