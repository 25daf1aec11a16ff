import type { RequestContext } from './context';

const built = new WeakMap<RequestContext, Map<string, unknown>>();

/**
 * A per-request object (a DataLoader, usually) built on first use and kept for the rest of the request, for modules
 * whose loaders are not getters of the request context. Dropped with the context.
 */
export function perRequest<T>(context: RequestContext, name: string, build: () => T): T {
  let mine = built.get(context);
  if (!mine) {
    mine = new Map();
    built.set(context, mine);
  }
  if (!mine.has(name)) mine.set(name, build());
  return mine.get(name) as T;
}
