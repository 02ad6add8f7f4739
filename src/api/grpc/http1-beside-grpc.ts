// etcd answers HTTP/1.1 on its client port beside gRPC (its JSON gateway, /health, /version,
// /metrics), and tools that take the client URLs etcd advertises (MemberList) send their JSON
// there: a high-availability manager keeping its leader lock through the gateway, a script with
// curl. The gRPC port does the same while it is plaintext: a connection whose first bytes are
// not HTTP/2's connection preface goes to the HTTP API's server. Over TLS the first bytes are a
// TLS handshake and the port stays gRPC only; the gateway is then on the HTTP port.
import type { Socket } from 'node:net';

/** What every HTTP/2 connection, gRPC's included, starts with (RFC 9113, section 3.4). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads a connection's first bytes until they show whether it speaks HTTP/2, puts them back,
 * and hands the connection on. Both receivers read what was put back before anything newer:
 * Node's HTTP/2 session and its HTTP/1 parser take a socket's buffered bytes first.
 */
export function routeByPreface(socket: Socket, http2: (socket: Socket) => void, http1: (socket: Socket) => void): void {
  let head: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const compared = Math.min(head.length, HTTP2_PREFACE.length);
    const speaksHttp2 = head.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
    if (speaksHttp2 && head.length < HTTP2_PREFACE.length) return;
    socket.off('data', onData);
    socket.pause();
    socket.unshift(head);
    if (speaksHttp2) {
      http2(socket);
    } else {
      http1(socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
}
