// Preloaded (`node -r`) into the servers `npm run assistant` starts (tools/assistant.ts): their stdin is a pipe from
// that parent, which closes however the parent ends, SIGKILL included. Then this process stops as if sent SIGTERM,
// so no server is left running on its own.
// Worker threads inherit the preload (execArgv) but have no stdin of their own (it ends at once): only the main
// thread watches, or a worker (the backend's PDF extraction) would stop the whole process.
if (require("worker_threads").isMainThread) {
  process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
  process.stdin.on("error", () => process.kill(process.pid, "SIGTERM"));
  process.stdin.resume();
}
