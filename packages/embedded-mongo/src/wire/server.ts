/**
 * Listener on a unix domain socket or TCP loopback: frames messages, runs them in order per connection, writes
 * replies.
 */
import net from 'node:net';
import type { Dispatcher } from '../commands/dispatch';
import { OP_MSG, messageLength, opMsgReply, opReply, parseMessage } from './messages';
import { serializeReply } from './reply-bytes';

export class WireServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private connections = 0;

  constructor(private readonly dispatcher: Dispatcher) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Listens on 127.0.0.1:port (0: a free one) and resolves with the port. */
  async listenTcp(port: number): Promise<number> {
    await this.listen({ port, host: '127.0.0.1' });
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Listens on a unix domain socket at `socketPath` (which must not exist). */
  listenUnix(socketPath: string): Promise<void> {
    return this.listen({ path: socketPath });
  }

  private listen(at: net.ListenOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(at, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const connectionId = ++this.connections;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // Chunks are only joined once a whole message is there: joining on every chunk is quadratic for the large
    // insertMany messages (tens of MB arriving in 64 KB pieces).
    let chunks: Buffer[] = [];
    let buffered = 0;
    let needed = -1;
    // Requests on one connection are answered in order; the driver never pipelines, but moreToCome can stack.
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      if (needed < 0 && buffered >= 4) {
        const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        chunks = [head];
        needed = head.readInt32LE(0);
      }
      if (needed < 0 || buffered < needed) return;
      let pending = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      let offset = 0;
      for (;;) {
        const len = messageLength(pending, offset);
        if (len < 0) break;
        if (len < 16) {
          socket.destroy();
          return;
        }
        const msg = pending.subarray(offset, offset + len);
        offset += len;
        chain = chain.then(() => this.handle(msg, socket, connectionId));
      }
      pending = pending.subarray(offset);
      chunks = pending.length > 0 ? [pending] : [];
      buffered = pending.length;
      needed = pending.length >= 4 ? pending.readInt32LE(0) : -1;
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      // After the statements already received on it have run: then its client's open transaction is orphaned.
      const orphaned = () => this.dispatcher.sessions.connectionClosed(connectionId);
      void chain.then(orphaned, orphaned);
    });
    socket.on('error', () => this.sockets.delete(socket));
  }

  private async handle(msg: Buffer, socket: net.Socket, connectionId: number): Promise<void> {
    let req;
    try {
      req = parseMessage(msg);
    } catch {
      // Unparseable framing cannot be answered on this stream: MongoDB closes the connection too.
      socket.destroy();
      return;
    }
    const reply = await this.dispatcher.run(req.command, req.db, connectionId, req.documentBytes);
    if (req.moreToCome || socket.destroyed) return;
    const body = serializeReply(reply);
    socket.write(req.opCode === OP_MSG ? opMsgReply(req.requestId, body) : opReply(req.requestId, body));
  }
}
