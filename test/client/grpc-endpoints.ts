// Where the client tests reach a harness member's gRPC listener.
import type { ServerProcess } from '../cluster/cluster-harness.js';

export function grpcEndpoint(member: ServerProcess): string {
  return `127.0.0.1:${member.ports.grpc}`;
}
