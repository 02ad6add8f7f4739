// The error registry of encryption at rest. Each code is stable and never reused. Every one of
// them stops a member from opening or a read from returning data: a record that does not
// authenticate is never returned, decrypted to garbage or skipped.

const templates = {
  ENCRYPTION_KEY_FILE_INVALID: 'the encryption key file {path} is invalid: {reason}',
  ENCRYPTION_KEY_MISSING:
    'data in {where} is encrypted under key id "{keyId}", which {reason}; add that key to the encryption-key-file and start again',
  ENCRYPTION_AUTHENTICATION_FAILED:
    'a record in {where} encrypted under key id "{keyId}" fails authentication (AES-GCM tag mismatch): it was altered on disk, or key "{keyId}" in the key file is not the key it was written with',
  ENCRYPTION_RECORD_MALFORMED: 'an encrypted record in {where} is malformed: {reason}',
  ENCRYPTION_OFF: 'encryption at rest is off on this member: set encryption-key-file and restart it to turn it on',
  ENCRYPTION_ROTATION_REFUSED: 'the encryption key rotation cannot run: {reason}',
} as const;

export type EncryptionErrorCode = keyof typeof templates;

export type EncryptionErrorDetails = Readonly<Record<string, string | number>>;

export class EncryptionError extends Error {
  override readonly name = 'EncryptionError';

  constructor(
    readonly code: EncryptionErrorCode,
    readonly details: EncryptionErrorDetails,
  ) {
    super(templates[code].replace(/\{(\w+)\}/g, (_match, field: string) => String(details[field] ?? '?')));
  }
}

export function isEncryptionError(error: unknown, code?: EncryptionErrorCode): error is EncryptionError {
  return error instanceof EncryptionError && (code === undefined || error.code === code);
}
