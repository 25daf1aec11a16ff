import { DocumentNode, execute, ExecutionResult, GraphQLError, GraphQLSchema, printSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, CompiledQuery, isCompiledQuery } from 'graphql-jit';
import type { GatewayInterface } from '@apollo/server-gateway-interface';

type Compiled = Pick<CompiledQuery, 'query'> | null;

/**
 * Executes operations with graphql-jit: each parsed document (Apollo keeps them, so a repeated query is the same
 * object) is compiled once into a plain function; a document it cannot compile runs on graphql-js as before.
 * Apollo Server 5 has no executor option; a gateway whose load() returns the schema and this executor is the
 * supported way to plug one in (the schema stays ours, nothing is fetched).
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiledByDocument = new WeakMap<DocumentNode, Map<string, Compiled>>();

  function compiledFor(document: DocumentNode, operationName: string | null | undefined): Compiled {
    let byOperation = compiledByDocument.get(document);
    if (!byOperation) compiledByDocument.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    if (!byOperation.has(key)) {
      const result = compileQuery(schema, document, operationName ?? undefined);
      byOperation.set(key, isCompiledQuery(result) ? result : null);
    }
    return byOperation.get(key)!;
  }

  return {
    async load() {
      return {
        schema,
        executor: async (requestContext): Promise<ExecutionResult> => {
          const { document, request, context, operation } = requestContext;
          const graphqlJs = () => execute({ schema, document, contextValue: context, variableValues: request.variables, operationName: request.operationName });
          const compiled = compiledFor(document, request.operationName);
          if (!compiled) return graphqlJs();
          // Variables are coerced by graphql-js, as without the JIT: the same errors (BAD_USER_INPUT), and input
          // object defaults applied (graphql-jit 0.8 refuses a missing field of type T! that has a default).
          let variables: Record<string, unknown> = {};
          if (operation.variableDefinitions?.length) {
            const coerced = getVariableValues(schema, operation.variableDefinitions, request.variables ?? {}, { maxErrors: 50 });
            if (coerced.errors) return { errors: coerced.errors };
            variables = coerced.coerced;
          }
          const result = await compiled.query(undefined, context, variables);
          if (!result.errors?.length) return result;
          // Nothing ran when the JIT refuses the variables: let graphql-js answer.
          if (result.data === undefined) return graphqlJs();
          return { ...result, errors: result.errors.map(asGraphQLError) };
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
}

/**
 * graphql-jit reports errors with its own GraphQLError function, whose `extensions` is undefined when the original
 * error has none (Apollo reads extensions.code and would fail): graphql-js's class, with the same fields.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(error) === GraphQLError.prototype) return error;
  const converted = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  return Object.assign(converted, { locations: error.locations });
}
