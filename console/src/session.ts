/** The bearer token lives in session storage only: never in the URL after sign-in, never logged. */
const KEY = 'perkgraph.token';

export interface Session {
  token: string;
  role: string;
}

/** The role claim of a JWT (unverified: the server checks the token on every request). */
export function roleOf(token: string): string | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { role?: unknown };
    return typeof claims.role === 'string' ? claims.role : null;
  } catch {
    return null;
  }
}

/** `#token=...` in the address signs in directly; the fragment is removed at once. */
export function takeTokenFromHash(location: Location, history: History): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

export function loadSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  const role = token ? roleOf(token) : null;
  return token && role ? { token, role } : null;
}

export function saveSession(token: string): Session | null {
  const role = roleOf(token);
  if (!role) return null;
  sessionStorage.setItem(KEY, token);
  return { token, role };
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
