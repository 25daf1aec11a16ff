import { GraphQLResolveInfo, OperationDefinitionNode, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import type { StatusPart } from './member-status.sql';

/** The status parts each Member field needs. */
const PARTS_OF_FIELD: Record<string, StatusPart[]> = {
  tier: ['tier'],
  tierProgress: ['tier', 'spend'],
  balance: ['balances'],
  balances: ['balances'],
  perks: ['perks'],
  supportPriority: ['perks'],
  ltv: ['ltv'],
};

const partsOfOperation = new WeakMap<OperationDefinitionNode, ReadonlySet<StatusPart>>();

/**
 * Every status part the operation selects on Member anywhere (directly, in fragments, in lists), worked out once per
 * parsed operation: the server keeps parsed documents, so a repeated query costs a WeakMap look-up.
 */
export function statusPartsOf(info: GraphQLResolveInfo): ReadonlySet<StatusPart> {
  let parts = partsOfOperation.get(info.operation);
  if (!parts) {
    parts = selectedParts(info);
    partsOfOperation.set(info.operation, parts);
  }
  return parts;
}

function selectedParts(info: GraphQLResolveInfo): ReadonlySet<StatusPart> {
  const parts = new Set<StatusPart>();
  const typeInfo = new TypeInfo(info.schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      if (typeInfo.getParentType()?.name !== 'Member') return;
      for (const part of PARTS_OF_FIELD[node.name.value] ?? []) parts.add(part);
    },
  });
  visit(info.operation, visitor);
  for (const fragment of Object.values(info.fragments)) visit(fragment, visitor);
  return parts;
}
