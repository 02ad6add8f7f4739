// NodeAccess with an audit log: each caller gets an AuditedNode around the view the access
// beneath gave it, so the log names the user that access resolved. Credentials the access
// beneath refuses are recorded too (operation `authenticate`), naming the user they claimed
// (a basic-auth user name or a certificate's CN; never a token or a password).
import type { CallerNode, CallOrigin, Credentials, NodeAccess } from '../access/node-access.js';
import { toClientError } from '../api/errors.js';
import type { AuditLog } from './audit-log.js';
import { type AuditOptions, AuditedNode } from './audited-node.js';

export class AuditedAccess implements NodeAccess {
  constructor(
    private readonly access: NodeAccess,
    private readonly log: AuditLog,
    private readonly options: AuditOptions,
  ) {}

  async nodeFor(origin: CallOrigin, credentials: Credentials): Promise<CallerNode> {
    let view: CallerNode;
    try {
      view = await this.access.nodeFor(origin, credentials);
    } catch (error) {
      const user = credentials.password?.user ?? credentials.certificateCommonName ?? null;
      this.log.append({ time: new Date().toISOString(), user, source: origin.source, api: origin.api, method: origin.method, operation: 'authenticate', result: toClientError(error).code });
      throw error;
    }
    return new AuditedNode(view, origin, this.log, this.options);
  }
}
