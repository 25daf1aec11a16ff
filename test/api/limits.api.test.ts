import { onlyError, startTestServer, TestServer } from '../helpers/server';

const support = { role: 'support' as const, subject: 'agent' };

function nestedTypeQuery(depth: number): string {
  let selection = 'name';
  for (let i = 0; i < depth; i += 1) selection = `ofType { ${selection} }`;
  return `{ __type(name: "Member") { fields { type { ${selection} } } } }`;
}

describe('abuse limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('refuses an over-deep query and allows one within the limit', async () => {
    const deep = await server.graphql(nestedTypeQuery(9), undefined, support);
    expect(deep.status).toBe(400);
    expect(onlyError(deep)).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(onlyError(deep).message).toContain('depth limit');
    const shallow = await server.graphql(nestedTypeQuery(6), undefined, support);
    expect(shallow.body.errors).toBeUndefined();
  });

  it('refuses more than 15 aliases', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect((await server.graphql(aliases(15), undefined, support)).body.errors).toBeUndefined();
    const tooMany = await server.graphql(aliases(16), undefined, support);
    expect(onlyError(tooMany).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(onlyError(tooMany).message).toContain('Aliases limit');
  });

  it('refuses a document of more than 2000 tokens before validating it', async () => {
    const fields = Array.from({ length: 2100 }, () => '__typename').join(' ');
    const response = await server.graphql(`{ ${fields} }`, undefined, support);
    expect(response.status).toBe(400);
    expect(onlyError(response).extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(onlyError(response).message).toContain('more that 2000 tokens');
  });

  it('serves the sandbox and introspection outside production', async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('embeddable-sandbox');
    expect((await server.graphql('{ __schema { queryType { name } } }')).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('production mode', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => server.stop());

  it('turns introspection and the sandbox off', async () => {
    const introspection = await server.graphql('{ __schema { queryType { name } } }');
    expect(onlyError(introspection).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(onlyError(introspection).message).toContain('introspection');
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('sandbox');
  });
});
