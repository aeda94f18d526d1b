// A real Postgres (PGlite: Postgres compiled to WebAssembly) with pgvector, served over the Postgres wire protocol
// on 127.0.0.1 (port 0), so tests drive the backend's real `pg` driver path. It runs as its own node process: PGlite
// loads its WebAssembly with a dynamic import, which jest's module sandbox does not allow.
// Prints one line `{"url": "postgres://…"}` once it listens; exits when its parent closes stdin.
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const db = await PGlite.create({ extensions: { vector } });
// Several connections at once, as a backend pool opens them; PGlite itself runs their queries one at a time.
const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 20 });
await server.start();
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres@${server.getServerConn()}/postgres` })}\n`);
const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
