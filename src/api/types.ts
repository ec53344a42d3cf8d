import type { Principal, Role } from '../identity/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that is not public. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes are authenticated unless they say they are public. */
    public?: boolean;
    /** When set, the principal needs at least one of these roles. */
    roles?: readonly Role[];
  }
}

export {};
