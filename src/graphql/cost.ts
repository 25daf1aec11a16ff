import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  GraphQLField,
  GraphQLIncludeDirective,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLSkipDirective,
  isCompositeType,
  isLeafType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  getDirectiveValues,
  GraphQLNamedType,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';

/**
 * The cost model: roughly the work a query makes the server do.
 *
 * - A leaf field costs nothing: it is a column of a row already read.
 * - An object field costs 1 for each row it is asked on (it may read something per row), unless it is served by a
 *   batched loader (`@Extensions({ cost: PER_PAGE })`): then one read serves the whole page and it costs 1.
 * - A connection (an object type named `...Connection` taking `first`) costs 1 per parent row and multiplies the
 *   rows of everything under it by its page size, so a connection of connections costs page size squared.
 * - Introspection (`__schema`, `__type`, `__typename`) is free.
 */
export const PER_PAGE = 'perPage';

export interface CostExtensions {
  cost?: typeof PER_PAGE;
}

/** The cost of the operation, or null when its variables do not coerce (execution then reports them; nothing runs). */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): number | null {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const walker = new CostWalker(schema, fragments, coerced.coerced);
  return walker.selectionSet(operation.selectionSet, root, 1, new Set());
}

class CostWalker {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
  ) {}

  selectionSet(selectionSet: SelectionSetNode, parent: GraphQLNamedType, rows: number, visiting: Set<string>): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (!this.included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        total += this.field(selection, parent, rows, visiting);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) ?? parent : parent;
        total += this.selectionSet(selection.selectionSet, type, rows, visiting);
      } else {
        const name = selection.name.value;
        const fragment = this.fragments.get(name);
        // A fragment cycle is a validation error reported elsewhere; count it once.
        if (!fragment || visiting.has(name)) continue;
        const type = this.schema.getType(fragment.typeCondition.name.value) ?? parent;
        total += this.selectionSet(fragment.selectionSet, type, rows, new Set([...visiting, name]));
      }
    }
    return total;
  }

  private field(node: FieldNode, parent: GraphQLNamedType, rows: number, visiting: Set<string>): number {
    if (node.name.value.startsWith('__') || !isObjectType(parent) && !('getFields' in parent)) return 0;
    const field = (parent as GraphQLObjectType).getFields()[node.name.value] as GraphQLField<unknown, unknown> | undefined;
    if (!field) return 0;
    const type = getNamedType(field.type);
    if (isLeafType(type) || !isCompositeType(type) || !node.selectionSet) return 0;
    const perPage = (field.extensions as CostExtensions | undefined)?.cost === PER_PAGE;
    const own = perPage ? 1 : rows;
    const pageSize = this.pageSize(field, node);
    return own + this.selectionSet(node.selectionSet, type, pageSize === null ? rows : rows * pageSize, visiting);
  }

  /** The page size of a connection field, or null for any other field. */
  private pageSize(field: GraphQLField<unknown, unknown>, node: FieldNode): number | null {
    if (!getNamedType(field.type).name.endsWith('Connection') || !field.args.some((argument) => argument.name === 'first')) return null;
    try {
      const first = getArgumentValues(field, node, this.variables).first;
      return typeof first === 'number' && first > 0 ? first : 1;
    } catch {
      return 1; // bad arguments fail at execution before anything is read
    }
  }

  private included(selection: { directives?: readonly import('graphql').DirectiveNode[] }): boolean {
    if (getDirectiveValues(GraphQLSkipDirective, selection, this.variables)?.if === true) return false;
    if (getDirectiveValues(GraphQLIncludeDirective, selection, this.variables)?.if === false) return false;
    return true;
  }
}
