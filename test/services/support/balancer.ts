/**
 * A stand-in for a Kubernetes Service in front of several backends: a TCP balancer on 127.0.0.1 that sends each new
 * connection to the next backend whose `/readyz` answered 200 at its last check (every 100 ms), as the endpoints
 * controller and kube-proxy do with readiness. Connections stay with the backend they were opened to.
 */
import { connect, createServer, Server, Socket } from "net";

export interface Balancer {
  url: string;
  /** Connections opened to each backend, by its URL. */
  connections: Map<string, number>;
  close(): Promise<void>;
}

export async function startBalancer(backends: string[]): Promise<Balancer> {
  const ready = new Map(backends.map((url) => [url, true]));
  const connections = new Map(backends.map((url) => [url, 0]));
  const sockets = new Set<Socket>();
  let next = 0;
  const check = async () => {
    await Promise.all(
      backends.map(async (url) => {
        const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(500) }).then((r) => (r.body?.cancel(), r.status === 200), () => false);
        ready.set(url, ok);
      }),
    );
  };
  const timer = setInterval(() => void check(), 100);
  const server: Server = createServer((client) => {
    const candidates = backends.filter((url) => ready.get(url));
    if (candidates.length === 0) return void client.destroy();
    const target = candidates[next++ % candidates.length];
    connections.set(target, connections.get(target)! + 1);
    const upstream = connect(Number(new URL(target).port), "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).on("error", () => undefined);
    upstream.pipe(client).on("error", () => undefined);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    connections,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
