// Runs autocannon in a process of its own, so the load generator does not share the server's
// event loop (in the same thread it would take a good part of the CPU it measures). It gets its
// options over IPC and answers with the figures.
import autocannon from 'autocannon';

process.once('message', async ({ url, connections, duration, headers, paths }) => {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    headers,
    requests: [{ setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) }],
  });
  process.send(
    {
      rps: result.requests.average,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    },
    () => process.exit(0),
  );
});
