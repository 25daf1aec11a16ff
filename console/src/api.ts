import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let currentToken: string | null = null;
export function setToken(token: string | null): void {
  currentToken = token;
}

/** POSTs a typed document to /graphql with the session's bearer token; the first GraphQL error becomes an ApiError. */
export async function request<Result, Variables>(document: TypedDocumentNode<Result, Variables>, variables?: Variables): Promise<Result> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(currentToken ? { authorization: `Bearer ${currentToken}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
  if (body.errors?.length) {
    const [error] = body.errors;
    throw new ApiError(error.message, error.extensions?.code ?? 'ERROR', error.extensions?.field);
  }
  return body.data as Result;
}
