import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { diff, CriticalityLevel } from '@graphql-inspector/core';
import { buildGraphQLSchema, printSchemaFile, SCHEMA_FILE } from '../../src/graphql/schema';

const root = path.join(__dirname, '..', '..');
const committedSchema = readFileSync(SCHEMA_FILE, 'utf8');
const pending = readFileSync(path.join(root, 'docs', 'contract-pending.txt'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

async function breakingChanges(): Promise<{ path: string; message: string }[]> {
  const contract = buildSchema(readFileSync(path.join(root, 'docs', 'contract.graphql'), 'utf8'));
  const changes = await diff(contract, buildSchema(committedSchema));
  return changes
    .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
    .map((change) => ({ path: change.path ?? '', message: change.message }));
}

const isPending = (coordinate: string) => pending.some((entry) => coordinate === entry || coordinate.startsWith(`${entry}.`));

describe('schema.graphql', () => {
  it('is what the code emits (run `npm run schema` after changing the API)', async () => {
    expect(printSchemaFile(await buildGraphQLSchema())).toBe(committedSchema);
  });

  it('is the contract copied from shared/', () => {
    const shared = path.join(root, '..', 'shared', 'contract', 'contract.graphql');
    let upstream: string | undefined;
    try {
      upstream = readFileSync(shared, 'utf8');
    } catch {
      return; // a clone without the shared folder next to it: nothing to compare
    }
    expect(readFileSync(path.join(root, 'docs', 'contract.graphql'), 'utf8')).toBe(upstream);
  });

  it('breaks nothing in the contract except what the pending list names', async () => {
    const unexpected = (await breakingChanges()).filter((change) => !isPending(change.path));
    expect(unexpected).toEqual([]);
  });

  it('has no pending entry for something that already exists', async () => {
    const missing = new Set((await breakingChanges()).map((change) => change.path));
    expect(pending.filter((entry) => !missing.has(entry))).toEqual([]);
  });
});
