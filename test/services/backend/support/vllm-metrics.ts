/**
 * A stand-in for one vLLM pod's `/metrics`, for a real Prometheus to scrape: the series the model servers' canary
 * analysis reads (components/monitoring/canary-analysis.ts), named and labelled as vLLM v0.30.0 and
 * prometheus-fastapi-instrumentator serve them (lib/metrics-contract.ts VLLM_METRICS). Every scrape adds one
 * scrape's worth of traffic, so rates are constant, as from a pod under steady load.
 */
import { createServer } from "http";
import { AddressInfo } from "net";
import { VLLM_METRICS } from "../../../../lib/metrics-contract";

export interface VllmTraffic {
  /** HTTP answers per scrape by grouped status. */
  http: Partial<Record<"2xx" | "4xx" | "5xx", number>>;
  /** Requests the engine finished per scrape, by finished_reason. */
  finished: Partial<Record<"stop" | "length" | "abort" | "error", number>>;
  /** Requests per scrape whose first token came within each bucket bound (cumulative, ending with +Inf). */
  timeToFirstToken: Record<string, number>;
}

export interface VllmMetrics {
  /** host:port, for a scrape target. */
  target: string;
  close(): Promise<void>;
}

const ENGINE = 'model_name="Qwen/Qwen2.5-7B-Instruct",engine="0"';

export async function startVllmMetrics(traffic: VllmTraffic): Promise<VllmMetrics> {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    scrapes++;
    const lines = [`# TYPE ${VLLM_METRICS.httpRequests} counter`];
    for (const [status, n] of Object.entries(traffic.http)) lines.push(`${VLLM_METRICS.httpRequests}{handler="/v1/chat/completions",method="POST",status="${status}"} ${n * scrapes}`);
    lines.push(`# TYPE ${VLLM_METRICS.requestsFinished} counter`);
    for (const [reason, n] of Object.entries(traffic.finished)) lines.push(`${VLLM_METRICS.requestsFinished}{${ENGINE},finished_reason="${reason}"} ${n * scrapes}`);
    const ttft = VLLM_METRICS.timeToFirstToken;
    lines.push(`# TYPE ${ttft} histogram`);
    for (const [le, n] of Object.entries(traffic.timeToFirstToken)) lines.push(`${ttft}_bucket{${ENGINE},le="${le}"} ${n * scrapes}`);
    lines.push(`${ttft}_count{${ENGINE}} ${traffic.timeToFirstToken["+Inf"] * scrapes}`, `${ttft}_sum{${ENGINE}} ${scrapes}`);
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
