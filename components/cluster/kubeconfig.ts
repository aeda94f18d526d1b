/** kubeconfig for an EKS cluster, for the stack's Kubernetes provider and for people (`pulumi stack output`). */
import * as pulumi from "@pulumi/pulumi";

export interface EksEndpoint {
  /** Cluster name, as `aws eks get-token` wants it. */
  name: pulumi.Input<string>;
  /** API server URL. */
  endpoint: pulumi.Input<string>;
  /** Base64 PEM of the cluster's certificate authority. */
  certificateAuthority: pulumi.Input<string>;
  region: string;
}

/**
 * A kubeconfig whose credentials are fetched on use with `aws eks get-token`: it holds no token itself, so it
 * never expires in state, and access follows whatever AWS identity runs `pulumi` or `kubectl`. It is still
 * marked secret, because it names the endpoint and CA of a production API server.
 */
export function eksKubeconfig(cluster: EksEndpoint): pulumi.Output<string> {
  const kubeconfig = pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([name, endpoint, ca]) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server: endpoint, "certificate-authority-data": ca } }],
      users: [
        {
          name: `${name}-aws`,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "aws",
              args: ["eks", "get-token", "--cluster-name", name, "--region", cluster.region, "--output", "json"],
              interactiveMode: "Never",
            },
          },
        },
      ],
      contexts: [{ name, context: { cluster: name, user: `${name}-aws` } }],
      "current-context": name,
    }),
  );
  return pulumi.secret(kubeconfig);
}
