// A real Postgres (PGlite: Postgres compiled to WebAssembly) with pgvector, served over the Postgres wire protocol
// on 127.0.0.1 (port 0): the knowledge database of `npm run assistant` (kept in the directory given as the first
// argument) and of the tests (in memory, no argument), which so drive the backend's real `pg` driver path. It runs
// as its own node process: PGlite loads its WebAssembly with a dynamic import, which jest's sandbox does not allow.
// Prints one line `{"url": "postgres://…"}` once it listens; exits when its parent closes stdin.
// PGlite, pglite-pgvector and pglite-socket are development packages: a cluster runs CloudNativePG instead.
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const dataDir = process.argv[2];
const db = await PGlite.create({ ...(dataDir && { dataDir }), extensions: { vector } });
// Several connections at once, as a backend pool opens them; PGlite itself runs their queries one at a time.
const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 20 });
await server.start();
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres@${server.getServerConn()}/postgres` })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await db.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
// `npm run assistant` stops it with SIGTERM (Ctrl-C sends SIGINT to the group): close the database cleanly.
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
