import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

const here = (file: string) => path.join(__dirname, file);

// Typed documents from the server's schema: a schema change that breaks a console query fails `npm run build:console`.
const config: CodegenConfig = {
  schema: here('../schema.graphql'),
  documents: [here('src/**/*.tsx'), `!${here('src/gql/**')}`],
  generates: {
    [here('src/gql/')]: {
      preset: 'client',
      config: { enumsAsTypes: true, scalars: { DateTime: 'string' }, useTypeImports: true },
      presetConfig: { fragmentMasking: false },
    },
  },
  silent: true,
};
export default config;
