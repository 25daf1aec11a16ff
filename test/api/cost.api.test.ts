import {
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
} from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { operationCost } from '../../src/graphql/cost';
import { LIMITS } from '../../src/graphql/limits';
import { MAX_PAGE_SIZE } from '../../src/graphql/pagination';
import { onlyError, startTestServer, TestServer } from '../helpers/server';

const admin = { role: 'admin' as const, subject: 'admin-cost' };

type AnyField = GraphQLField<unknown, unknown>;

const isConnection = (field: AnyField) => getNamedType(field.type).name.endsWith('Connection') && field.args.some((argument) => argument.name === 'first');
const requiredArgs = (field: AnyField) => field.args.filter((argument) => isNonNullType(argument.type) && argument.defaultValue === undefined);

/** A literal for a required argument: the query only has to pass validation and the cost limit. */
function literal(argument: GraphQLArgument): string {
  const type = getNamedType(argument.type);
  if (isEnumType(type)) return type.getValues()[0].name;
  switch (type.name) {
    case 'Int':
      return '1';
    case 'Float':
      return '1';
    case 'Boolean':
      return 'true';
    case 'DateTime':
      return '"2026-01-01T00:00:00.000Z"';
    case 'ID':
      return '"00000000-0000-7000-8000-000000000000"';
    default:
      if (isLeafType(type)) return '"x"';
      throw new Error(`no literal for input ${type.name} of ${argument.name}`);
  }
}

const argumentList = (field: AnyField, extra: string[] = []) => {
  const parts = [...requiredArgs(field).map((argument) => `${argument.name}: ${literal(argument)}`), ...extra];
  return parts.length ? `(${parts.join(', ')})` : '';
};

const isLeafOnly = (type: GraphQLNamedType) =>
  isObjectType(type) && Object.values(type.getFields()).every((field) => isLeafType(getNamedType(field.type)) && requiredArgs(field).length === 0);

/** Every leaf field and every leaf-only object of a type (fields without required arguments). */
function everyLeaf(type: GraphQLObjectType): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (requiredArgs(field).length) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (isLeafOnly(named)) parts.push(`${field.name} { ${everyLeaf(named as GraphQLObjectType)} }`);
  }
  return parts.join(' ');
}

/** The shortest path of object fields from Query to a type, as selection prefixes (e.g. ['member(id: "...")']). */
function pathTo(schema: GraphQLSchema, target: GraphQLObjectType): string[] {
  const query = schema.getQueryType()!;
  const queue: { type: GraphQLObjectType; path: string[] }[] = [{ type: query, path: [] }];
  const seen = new Set([query.name]);
  while (queue.length) {
    const { type, path } = queue.shift()!;
    if (type === target) return path;
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (!isObjectType(named) || seen.has(named.name) || isConnection(field)) continue;
      try {
        const step = `${field.name}${argumentList(field)}`;
        seen.add(named.name);
        queue.push({ type: named, path: [...path, step] });
      } catch {
        // a required input object: not a way in
      }
    }
  }
  throw new Error(`no path from Query to ${target.name}`);
}

function fullPageQueries(schema: GraphQLSchema): { coordinate: string; query: string }[] {
  const queries: { coordinate: string; query: string }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type === schema.getMutationType()) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isConnection(field)) continue;
      const connection = getNamedType(field.type) as GraphQLObjectType;
      const edge = getNamedType(connection.getFields().edges.type) as GraphQLObjectType;
      const node = getNamedType(edge.getFields().node.type) as GraphQLObjectType;
      let selection = `${field.name}${argumentList(field, [`first: ${MAX_PAGE_SIZE}`])} { edges { cursor node { ${everyLeaf(node)} } } pageInfo { hasNextPage endCursor } }`;
      for (const step of pathTo(schema, type).reverse()) selection = `${step} { ${selection} }`;
      queries.push({ coordinate: `${type.name}.${field.name}`, query: `{ ${selection} }` });
    }
  }
  return queries;
}

describe('the cost limit', () => {
  let server: TestServer;
  let schema: GraphQLSchema;
  beforeAll(async () => {
    server = await startTestServer();
    schema = await buildGraphQLSchema();
  });
  afterAll(() => server.stop());

  it('lets a full page of every connection with every leaf field and leaf-only object pass', async () => {
    const queries = fullPageQueries(schema);
    // Every connection in the schema is walked (this list grows with the schema).
    expect(queries.map((query) => query.coordinate)).toEqual(
      expect.arrayContaining(['Query.searchMembers', 'Query.rewards', 'Query.membersAtRisk', 'Member.ledger', 'Member.orders', 'Member.referrals', 'Member.redemptions']),
    );
    for (const { coordinate, query } of queries) {
      const cost = operationCost(schema, parse(query), undefined, undefined);
      expect({ coordinate, withinLimit: cost !== null && cost <= LIMITS.cost }).toEqual({ coordinate, withinLimit: true });
      const response = await server.graphql(query, undefined, admin);
      const refused = (response.body.errors ?? []).filter((error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED');
      expect({ coordinate, refused }).toEqual({ coordinate, refused: [] });
    }
  });

  it('counts a batched field once per page and an unbatched one per row', () => {
    const cost = (selection: string) => operationCost(schema, parse(`{ searchMembers(query: "", first: 100) { edges { node { ${selection} } } } }`), undefined, undefined);
    const base = cost('id')!;
    // searchMembers 1 + edges 100 + node 100
    expect(base).toBe(201);
    expect(cost('id tier { code name }')).toBe(base + 1);
    expect(cost('id acquisitionCost { amount currency }')).toBe(base + 100);
  });

  it('refuses a connection of connections', async () => {
    const query = `query($first: Int) { searchMembers(query: "", first: $first) { edges { node { ledger(first: $first) { edges { node { id } } } } } } }`;
    expect((await server.graphql(query, { first: 5 }, admin)).body.errors).toBeUndefined();
    const nested = await server.graphql(query, { first: 100 }, admin);
    expect(nested.status).toBe(400);
    // searchMembers 1 + edges 100 + node 100 + ledger per member 100 + 100 x 100 x (edges 1 + node 1)
    expect(onlyError(nested).extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', cost: 20_301, limit: LIMITS.cost });
  });

  it('refuses thousands of aliases', async () => {
    const aliases = Array.from({ length: 2000 }, (_, i) => `a${i}: me { id }`).join(' ');
    const response = await server.graphql(`{ ${aliases} }`, undefined, admin);
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
  });
});
