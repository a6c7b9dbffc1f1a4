// The API as the dashboard calls it: the routes, the bearer key, problem details.

// The routes it calls, written as the gateway maps them (a test checks each against the gateway's routes).
export const Routes = {
  tenants: '/v1/tenants',
  silos: '/v1/cluster/silos',
  usage: '/v1/tenants/{tenantId}/usage',
  alerts: '/v1/tenants/{tenantId}/alerts',
  usageEvents: '/v1/tenants/{tenantId}/usage/events',
  statement: '/v1/tenants/{tenantId}/statements/{month}',
  pools: '/v1/pools',
  pool: '/v1/pools/{poolId}',
  poolTenants: '/v1/pools/{poolId}/tenants',
};

/** An error answer of the API, with its problem details. */
export class ProblemError extends Error {
  constructor(status, problem, retryAfterMilliseconds = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfterMilliseconds = retryAfterMilliseconds;
  }

  /** The error answer of a response, with the wait its Retry-After asks for (seconds or an HTTP date). */
  static async of(response) {
    const value = response.headers.get('retry-after');
    const seconds = value === null ? NaN : Number(value);
    const wait = Number.isFinite(seconds) ? seconds * 1000 : value === null ? NaN : Date.parse(value) - Date.now();
    return new ProblemError(response.status, await problemOf(response), Number.isNaN(wait) ? null : Math.max(0, wait));
  }

  /**
   * Waiting may help (the cluster, or this gateway, is busy or down); else the request itself is wrong, or stored state
   * needs an operator's repair (state_unreadable).
   */
  get transient() {
    return (this.status >= 500 && this.problem?.code !== 'state_unreadable') || this.status === 429;
  }
}

export function route(template, values = {}, query = '') {
  return template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(values[name])) + query;
}

export async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText };
  }
}

/** GET of a JSON route with the session's key; an error answer throws ProblemError. */
export async function call(key, template, values, query, signal) {
  const response = await fetch(route(template, values, query), {
    headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
    cache: 'no-store',
    signal,
  });
  if (!response.ok) {
    throw await ProblemError.of(response);
  }

  return response.json();
}

/** Resolves after the time, or at once when the signal aborts. */
export function sleep(milliseconds, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener('abort', done, { once: true });
  });
}
