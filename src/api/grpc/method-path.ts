// The parts of a gRPC method path, /package.Service/Method, as metrics and traces name them.

export interface MethodPath {
  /** `package.Service`. */
  readonly service: string;
  readonly method: string;
}

export function parseMethodPath(path: string): MethodPath {
  const slash = path.lastIndexOf('/');
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}
