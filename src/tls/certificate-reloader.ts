// Keeps a listener's certificate, key and CA current while the server runs. A Kubernetes
// Secret update swaps every file under a pod at once (a symlink swap of `..data`), and other
// tools rewrite files in place, so the files' bytes are read again every poll interval and
// compared, which sees both (a directory watch misses writes through a symlink). Changed bytes
// are checked like at start: a good set replaces the old one for new handshakes; a bad one
// (half written, a key that does not match, expired) is logged and the old set stays until
// the next good change. Connections already open keep the certificate they started with.

import type { Logger } from '../observability/logger.js';
import { materialOf, readTlsFiles, type CertificateMaterial, type TlsFileBytes } from './certificate-material.js';
import type { TlsListenerFiles } from './tls-settings.js';

/** Three small files read once a second cost nothing measurable; a rotation is seen within it. */
export const CERTIFICATE_POLL_INTERVAL_MS = 1_000;

export type MaterialListener = (material: CertificateMaterial) => void;

export class CertificateReloader {
  private readonly listeners: MaterialListener[] = [];
  private readonly timer: NodeJS.Timeout;
  // Invariant: at most one poll reads the files at a time.
  private polling = false;
  /** What the last poll saw, good or bad, so a bad state is logged once, not every second. */
  private lastSeen: string;

  private constructor(
    readonly files: TlsListenerFiles,
    private current: CertificateMaterial,
    bytes: TlsFileBytes,
    private readonly logger: Logger,
    pollIntervalMs: number,
  ) {
    this.lastSeen = fingerprintOf(bytes);
    this.timer = setInterval(() => void this.poll(), pollIntervalMs);
    // Polling alone must not keep a stopping process alive.
    this.timer.unref();
  }

  /** Reads and checks the files; throws TlsFileError naming the setting and file at fault. */
  static async open(files: TlsListenerFiles, logger: Logger, pollIntervalMs = CERTIFICATE_POLL_INTERVAL_MS): Promise<CertificateReloader> {
    const bytes = await readTlsFiles(files);
    return new CertificateReloader(files, materialOf(files, bytes, Date.now()), bytes, logger, pollIntervalMs);
  }

  /** The material new handshakes use. */
  get material(): CertificateMaterial {
    return this.current;
  }

  /** Called with each new good material, after `material` has changed. */
  onChange(listener: MaterialListener): void {
    this.listeners.push(listener);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Reads the files now, as a poll does; resolves once any change has been applied or refused. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.reloadIfChanged();
    } finally {
      this.polling = false;
    }
  }

  private async reloadIfChanged(): Promise<void> {
    let bytes: TlsFileBytes;
    try {
      bytes = await readTlsFiles(this.files);
    } catch (error) {
      this.refuse(`unreadable:${(error as Error).message}`, error);
      return;
    }
    const fingerprint = fingerprintOf(bytes);
    if (fingerprint === this.lastSeen) return;
    let material: CertificateMaterial;
    try {
      material = materialOf(this.files, bytes, Date.now());
    } catch (error) {
      this.refuse(fingerprint, error);
      return;
    }
    this.lastSeen = fingerprint;
    const previous = this.current;
    this.current = material;
    this.logger.info({ certFile: this.files.certFile, serialNumber: material.serialNumber, previousSerialNumber: previous.serialNumber, validTo: material.validTo }, 'reloaded the TLS certificate; new connections use it');
    for (const listener of this.listeners) {
      try {
        listener(material);
      } catch (error) {
        // A port that cannot take the new certificate keeps its old one; the others move on.
        this.logger.error({ err: error, serialNumber: material.serialNumber }, 'a TLS port did not take the reloaded certificate');
      }
    }
  }

  private refuse(seen: string, error: unknown): void {
    if (seen === this.lastSeen) return;
    this.lastSeen = seen;
    this.logger.error({ reason: (error as Error).message, serialNumber: this.current.serialNumber }, 'the changed TLS files are not usable; keeping the certificate in use until they are fixed');
  }
}

function fingerprintOf(bytes: TlsFileBytes): string {
  return `${bytes.cert.toString('base64')}|${bytes.key.toString('base64')}|${bytes.ca?.toString('base64') ?? ''}`;
}
