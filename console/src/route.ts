import { useEffect, useState } from 'react';

/** Pages without parameters, and the hash each lives at. */
export const SIMPLE_PAGES = {
  members: 'members',
  atRisk: 'at-risk',
  growth: 'growth',
  tiers: 'tiers',
  perks: 'perks',
  earningRules: 'earning-rules',
  rewards: 'rewards',
  exchangeRates: 'exchange-rates',
  pointsCurrencies: 'points-currencies',
  ltv: 'ltv',
  webhooks: 'webhooks',
  audit: 'audit',
} as const;
export type SimplePage = keyof typeof SIMPLE_PAGES;

/** Routes live in the hash (#/members/ID) so the server only serves one page. */
export type Route = { page: SimplePage } | { page: 'member'; id: string };

/** Pages only admins may open (programme settings, growth, webhooks, audit). */
export const ADMIN_PAGES: readonly string[] = ['growth', 'tiers', 'perks', 'earningRules', 'rewards', 'exchangeRates', 'pointsCurrencies', 'ltv', 'webhooks', 'audit'];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'member') return parts[1] ? { page: 'member', id: decodeURIComponent(parts[1]) } : { page: 'members' };
  const page = (Object.keys(SIMPLE_PAGES) as SimplePage[]).find((name) => SIMPLE_PAGES[name] === parts[0]);
  return { page: page ?? 'members' };
}

export const hrefFor = (route: Route): string => (route.page === 'member' ? `#/member/${encodeURIComponent(route.id)}` : `#/${SIMPLE_PAGES[route.page]}`);

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
