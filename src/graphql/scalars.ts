import { GraphQLDateTime } from 'graphql-scalars';

/** The contract names its date scalar DateTime (ISO 8601 strings). */
export const scalarsMap = [{ type: Date, scalar: GraphQLDateTime }];
