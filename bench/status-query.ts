/**
 * The member-status query the storefront sends on every page view (the status bench's workload). The bare
 * baseline (bench/bare-server.ts) answers the same fields in the same shape, so the comparison stays fair.
 */
export const STATUS_QUERY = '{ me { id tier { code } balance { posted held available } supportPriority } }';

/** The member the status bench signs its token for; the demo seed enrols it. */
export const STATUS_MEMBER = 'demo-us-1';
