// grpc-js dials TLS with the target's host as the SNI server name, an IP address included, and
// Node then warns (DEP0123) once per process that RFC 6066 forbids an IP there. The name is
// ignored by every server Beaver-Vault talks to and the certificate check is unaffected, so the
// warning only alarms a person running `bvault get --cacert ...`; it alone is dropped, and every
// other warning still reaches Node's own handler.

const IP_SERVERNAME_WARNING = 'DEP0123';

export function dropIpServernameWarning(): void {
  const handlers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === IP_SERVERNAME_WARNING) return;
    for (const handler of handlers) handler(warning);
  });
}
