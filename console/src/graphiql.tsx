import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import { loadSession } from './session';

// Served from our own assets: works on a machine without internet, signed in with the console's token.
const token = loadSession()?.token;
const fetcher = createGraphiQLFetcher({ url: '/graphql', headers: token ? { authorization: `Bearer ${token}` } : {} });
createRoot(document.getElementById('graphiql')!).render(<GraphiQL fetcher={fetcher} />);
