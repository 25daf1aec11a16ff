import { useEffect, useState } from 'react';

/** Routes live in the hash (#/members/ID) so the server only serves one page. */
export type Route = { page: 'members' } | { page: 'member'; id: string } | { page: 'atRisk' } | { page: 'growth' } | { page: 'tiers' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  switch (parts[0]) {
    case 'member':
      return parts[1] ? { page: 'member', id: decodeURIComponent(parts[1]) } : { page: 'members' };
    case 'at-risk':
      return { page: 'atRisk' };
    case 'growth':
      return { page: 'growth' };
    case 'tiers':
      return { page: 'tiers' };
    default:
      return { page: 'members' };
  }
}

export const hrefFor = (route: Route): string =>
  route.page === 'member' ? `#/member/${encodeURIComponent(route.id)}` : route.page === 'atRisk' ? '#/at-risk' : `#/${route.page}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
