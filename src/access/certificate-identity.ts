// The identity a verified client certificate proves: its subject's common name, which etcd
// takes as the user name under client-cert-auth. Both the gRPC and the REST API read it here.
import type { PeerCertificate } from 'node:tls';
import { ApiError } from '../api/errors.js';

/** Undefined without a certificate or without a CN; a certificate naming several CNs is refused as ambiguous. */
export function certificateCommonNameOf(certificate: PeerCertificate | undefined): string | undefined {
  const commonName: unknown = certificate?.subject?.CN;
  if (commonName === undefined || commonName === '') return undefined;
  if (typeof commonName === 'string') return commonName;
  throw new ApiError('API_INVALID_CREDENTIALS', { name: 'the client certificate', reason: `its subject names ${Array.isArray(commonName) ? commonName.length : 'several'} common names; give it exactly one` });
}
