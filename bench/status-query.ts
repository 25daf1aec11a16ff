/**
 * The member-status query the storefront sends on every page view (the status bench's workload).
 * The full query is
 *   { me { id tier { code } balance { posted held available } supportPriority } }
 * `id` and `balance` exist today: extend this as tier and supportPriority land, and extend the bare
 * baseline (bench/bare-server.ts) to answer the same fields in the same shape, so the comparison stays fair.
 */
export const STATUS_QUERY = '{ me { id balance { posted held available } } }';

/** The member the status bench signs its token for; the demo seed enrols it. */
export const STATUS_MEMBER = 'demo-us-1';
