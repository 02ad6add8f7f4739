// When each TLS port's certificate expires, as a timestamp like cert-manager's
// certmanager_certificate_expiration_timestamp_seconds, so that one alert covers certificates
// from every source (the operator's CA, cert-manager, files put there by hand). Read at each
// scrape, so a reloaded certificate shows at once.

import { Gauge, type Registry } from 'prom-client';
import type { ServerTls } from '../tls/server-tls.js';

export function registerCertificateExpiry(registry: Registry, tls: ServerTls): void {
  new Gauge({
    name: 'bvault_server_certificate_expiration_timestamp_seconds',
    help: 'When the certificate this member serves on each TLS port (client, peer) stops being valid, in seconds since the epoch.',
    labelNames: ['endpoint'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { endpoint, validTo } of tls.expiries()) this.set({ endpoint }, validTo.getTime() / 1000);
    },
  });
}
