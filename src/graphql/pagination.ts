import { ClassType, Field, ObjectType } from 'type-graphql';
import { BadUserInputError } from '../errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

/** Declares the Relay types `<Name>Edge` and `<Name>Connection` for a node type. */
export function ConnectionType<T extends object>(name: string, node: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionClass implements Connection<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionClass;
}

/** A page request after validation: fetch `first + 1` rows to know whether another page follows. */
export interface PageRequest {
  first: number;
  after?: string;
}

export function pageRequest(first: number, after: string | undefined | null): PageRequest {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError('first', `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return { first, after: after ? decodeCursor(after) : undefined };
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key || encodeCursor(key) !== cursor) throw new BadUserInputError('after', 'is not a cursor this API returned');
  return key;
}

/** Turns `first + 1` rows fetched in cursor order into a connection. */
export function toConnection<T>(rows: T[], page: PageRequest, keyOf: (row: T) => string): Connection<T> {
  const nodes = rows.slice(0, page.first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
  };
}

/** The key of a cursor over a bigint id (audit entries, webhook deliveries): BAD_USER_INPUT when it is not one. */
export function bigintKeyOrFail(key: string | undefined): string | undefined {
  if (key !== undefined && !/^\d{1,19}$/.test(key)) throw new BadUserInputError('after', 'is not a cursor this API returned');
  return key;
}
