// The audit log's settings: off unless audit-log-path is set; audit-reads without a path would
// record nothing, so it is refused rather than ignored.

import { resolve as resolvePath } from 'node:path';

export interface AuditSettings {
  /** Undefined: no audit log. */
  readonly audit?: {
    /** Absolute. */
    readonly path: string;
    readonly maxBytes: number;
    /** Rotated files kept beside the current one. */
    readonly maxFiles: number;
    readonly reads: boolean;
  };
}

interface SettingValues {
  string(name: string): string | undefined;
  number(name: string): number;
}

export function auditSettingsOf(values: SettingValues, workingDirectory: string, problems: string[]): AuditSettings {
  const path = values.string('audit-log-path');
  const reads = values.string('audit-reads') === 'true';
  if (path === undefined || path === '') {
    if (reads) problems.push('audit-reads is set but audit-log-path is not; set audit-log-path to the file the audit log is written to');
    return {};
  }
  return { audit: { path: resolvePath(workingDirectory, path), maxBytes: values.number('audit-log-max-bytes'), maxFiles: values.number('audit-log-max-files'), reads } };
}
