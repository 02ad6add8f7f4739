// TLS for a member's ports and for the REST calls made between members and by `bvault dev`.
export { TlsFileError } from './certificate-material.js';
export { requestText, type ClientTlsMaterial, type RequestAnswer } from './https-request.js';
export { openServerTls, type ClientPortTls, type PeerPortTls, type ReloadingHttpsOptions, type ServerTls } from './server-tls.js';
export { TLS_MIN_VERSIONS, type TlsListenerFiles, type TlsPolicy } from './tls-settings.js';
