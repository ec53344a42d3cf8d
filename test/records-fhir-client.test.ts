import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from 'fhir-kit-client';
import { loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

// A standard FHIR client library, over a real socket: create, read, search and page.
let ts: TestSystem;
let client: Client;

/** A port free right now: paging links carry the public URL, so it must be known before start. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });

before(async () => {
  const port = await freePort();
  ts = await startTestSystem('sqlite', { CUSTODIA_PUBLIC_URL: `http://127.0.0.1:${port}` });
  const token = await loginAs(ts, 'kit-clinician', ['clinician']);
  await ts.app.listen({ host: '127.0.0.1', port });
  client = new Client({ baseUrl: `http://127.0.0.1:${port}/fhir`, bearerToken: token });
});
after(() => ts?.dispose());

test('fhir-kit-client creates, reads, searches and pages', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const created = (await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', name: [{ family: '周', given: [`客户${i}`] }], gender: 'female' },
    })) as unknown as { id: string };
    ids.push(created.id);
  }
  const read = (await client.read({ resourceType: 'Patient', id: ids[0]! })) as unknown as {
    name: { family: string }[];
  };
  assert.equal(read.name[0]!.family, '周');

  const first = (await client.search({
    resourceType: 'Patient',
    searchParams: { name: '周', _count: 2, _total: 'accurate' },
  })) as unknown as {
    resourceType: 'Bundle';
    total: number;
    entry: unknown[];
    link: { relation: string; url: string }[];
  };
  assert.equal(first.total, 5);
  assert.equal(first.entry.length, 2);
  const seen = new Set<string>();
  let page: typeof first | undefined = first;
  while (page) {
    for (const e of page.entry as { resource: { id: string } }[]) seen.add(e.resource.id);
    page = (await client.nextPage({ bundle: page })) as unknown as typeof first | undefined;
  }
  assert.deepEqual([...seen].sort(), [...ids].sort());
});
