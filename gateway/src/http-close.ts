// Graceful stop of a Node HTTP server (the gateway's, the collection service's): stop accepting,
// let requests in flight finish, close idle keep-alive connections at once, and after `graceMs`
// cut whatever is still open. Resolves when the server is closed.
import type { Server } from "node:http";
import type { ServerType } from "@hono/node-server";

export function closeHttpServer(server: ServerType, graceMs: number): Promise<void> {
  // createAdaptorServer without HTTPS or HTTP/2 options makes a node:http Server.
  const node = server as Server;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      node.closeAllConnections?.();
      resolve();
    }, graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    node.closeIdleConnections?.();
  });
}
