import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../core/index.js';
import { toCustodiaError, toOperationOutcome, toProblem } from '../problem.js';

const prefersChinese = (request: FastifyRequest) => /^zh\b/i.test(request.headers['accept-language'] ?? '');
const isFhir = (request: FastifyRequest) =>
  request.url === '/fhir' || request.url.startsWith('/fhir/') || request.url.startsWith('/fhir?');

/**
 * Every error leaves as problem+json, or as a FHIR OperationOutcome under /fhir. Clients never
 * see a stack trace; unexpected errors are logged with the request id that the client also gets.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const e = toCustodiaError(error);
    if (e.status >= 500 && e.code !== 'unavailable') request.log.error({ err: error }, 'request failed');
    else if (e.code === 'unavailable')
      request.log.warn({ err: { message: (error as Error).message } }, 'dependency unavailable');
    send(request, reply, e);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    send(
      request,
      reply,
      notFound(`there is no ${request.method} ${path}`, {
        zh: `不存在的接口 ${request.method} ${path}`,
        hint: 'see the API reference at /docs',
      }),
    );
  });
}

function send(request: FastifyRequest, reply: FastifyReply, e: ReturnType<typeof toCustodiaError>): void {
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  if (e.status === 401) reply.header('www-authenticate', 'Bearer realm="custodia"');
  const chinese = prefersChinese(request);
  if (isFhir(request)) {
    reply.status(e.status).type('application/fhir+json; charset=utf-8').send(toOperationOutcome(e, chinese));
  } else {
    const instance = request.url.split('?')[0] ?? request.url;
    reply
      .status(e.status)
      .type('application/problem+json; charset=utf-8')
      .send(toProblem(e, instance, request.id, chinese));
  }
}
