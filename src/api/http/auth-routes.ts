// Authentication over REST: POST /api/v1/auth/authenticate trades a user name and password for
// the token etcd's Authenticate gives, to send as `Authorization: Bearer <token>`. The password
// check, its failed-attempt limit and the token are the AuthManager's (src/auth), beneath both
// APIs; this route only parses and answers.
import type { FastifyInstance } from 'fastify';
import type { AuthManager } from '../../auth/auth-manager.js';
import { mvccError } from '../../mvcc/index.js';
import { authenticateBody } from './body-schemas.js';
import { parseJsonBody } from './request-parsing.js';

export function registerAuthRoutes(app: FastifyInstance, auth: AuthManager | undefined): void {
  app.post('/api/v1/auth/authenticate', async (request) => {
    const { name, password } = parseJsonBody(request, authenticateBody);
    // A server built without an auth manager has no users: authentication is not enabled.
    if (auth === undefined) throw mvccError('AUTH_NOT_ENABLED');
    return { token: await auth.authenticate(name, password) };
  });
}
