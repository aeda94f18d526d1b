/**
 * The benchmark's stand-in model server: OpenAI's Chat Completions JSON after a fixed delay (a model's latency).
 * Run as its own process, so that its CPU does not mix with the load generator's; prints its port.
 */
import { createServer } from "http";

const delayMs = Number(process.env.UPSTREAM_DELAY_MS ?? 20);
const answer = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1,
  model: "bench-model",
  choices: [{ index: 0, message: { role: "assistant", content: "A benchmark answer of a few words." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 8, completion_tokens: 7, total_tokens: 15 },
});

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on("end", () =>
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
      res.end(answer);
    }, delayMs),
  );
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.on("SIGTERM", () => process.exit(0));
