/** npm run schema: writes schema.graphql from the code. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildGraphQLSchema, printSchemaFile, SCHEMA_FILE } from '../graphql/schema';
import { runCli } from './run-cli';

runCli(async () => {
  writeFileSync(SCHEMA_FILE, printSchemaFile(await buildGraphQLSchema()));
  console.log(`Wrote ${SCHEMA_FILE}`);
});
