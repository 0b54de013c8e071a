import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Makes a closing HTTP server finish every response it has begun, however slowly the client reads it, and
 * close each connection as soon as it has nothing more to send.
 *
 * Node's server.close() destroys the connections it deems idle at that moment, and those include a
 * connection whose response has ended but is still being written: a large record to a slow reader arrives
 * truncated. And a kept-alive connection that becomes idle after close() is never closed by Node: the
 * server then waits for the client to hang up (Fastify keeps connections alive 72 s), past
 * SHUTDOWN_TIMEOUT_MS, and the process exits 1. Here a connection counts as idle only once every response
 * on it has been handed to the operating system, and idle connections are closed every `sweepMs` from
 * close() until the server has closed.
 */
export function finishResponsesOnClose(server: Server, sweepMs = 100): void {
  const connections = new Set<Socket>();
  /** Responses begun on each connection and not yet handed whole to the operating system. */
  const sending = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => {
      connections.delete(socket);
      sending.delete(socket);
    });
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    sending.set(socket, (sending.get(socket) ?? 0) + 1);
    // 'close' follows 'finish' (the last byte handed to the OS), or an aborted connection.
    response.once('close', () => sending.set(socket, Math.max(0, (sending.get(socket) ?? 1) - 1)));
  });
  const closeIdle = (): void => {
    for (const socket of connections) if (!sending.get(socket)) socket.destroy();
  };
  // server.close() calls closeIdleConnections() itself (Node 19+): this one spares responses still being sent.
  server.closeIdleConnections = closeIdle;
  const close = server.close.bind(server);
  let sweeper: NodeJS.Timeout | undefined;
  server.close = ((callback?: (error?: Error) => void) => {
    if (!sweeper) {
      sweeper = setInterval(closeIdle, sweepMs);
      sweeper.unref();
      server.once('close', () => clearInterval(sweeper));
    }
    return close(callback);
  }) as Server['close'];
}
