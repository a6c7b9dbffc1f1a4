// The dashboard: plain JavaScript modules, no build step and no dependencies. It reads the API with the key the user
// gives (kept in this tab's sessionStorage), live through a tenant's usage event stream, or by polling the usage and
// alert routes where no stream can be held (a proxy that buffers it, a gateway holding its most streams).
import { Routes, ProblemError, route, call, sleep } from './api.js';
import { serverSentEvents } from './sse.js';
import { showProblem, setConnection, cell, fill, renderUsage, clearAlerts, addAlert, resources, renderStandings, clearStandings, renderStatement, statementUnavailable, clearStatement } from './view.js';

const FailuresBeforePolling = 3;
const PollingBeforeStreamingAgainMilliseconds = 60000;
const AdminRefreshMilliseconds = 10000;
const StatementRefreshMilliseconds = 10000;
const TenantsListed = 100;
const PoolsListed = 100;
const StandingsListed = 1000;
const MaxRetryMilliseconds = 60000;

const $ = (id) => document.getElementById(id);
let session = null;

/**
 * One connection to the tenant's stream, shown until it ends; returns whether any event came. The connection is
 * dropped when no event comes within two intervals and five seconds: a proxy that buffers the stream holds them all.
 */
async function streamOnce(tenantId, state, signal) {
  const connection = new AbortController();
  const abort = () => connection.abort();
  signal.addEventListener('abort', abort, { once: true });
  let watchdog;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(abort, 2 * state.retry + 5000);
  };
  try {
    const headers = { Authorization: `Bearer ${session.key}`, Accept: 'text/event-stream' };
    if (state.lastAlert !== null) {
      headers['Last-Event-ID'] = state.lastAlert;
    }

    arm();
    const url = route(Routes.usageEvents, { tenantId }, `?interval=${session.interval}`);
    const response = await fetch(url, { headers, cache: 'no-store', signal: connection.signal });
    if (!response.ok) {
      throw await ProblemError.of(response);
    }

    if (!response.body || !(response.headers.get('content-type') || '').startsWith('text/event-stream')) {
      throw new Error('the answer was not an event stream');
    }

    let events = 0;
    for await (const event of serverSentEvents(response.body)) {
      arm();
      events++;
      state.delivered = true;
      if (event.retry !== undefined) {
        state.retry = Math.max(1000, event.retry);
      }

      if (event.type === 'usage') {
        setConnection('live', 'live');
        showProblem(null);
        renderUsage(JSON.parse(event.data));
      } else if (event.type === 'alert') {
        state.lastAlert = event.id;
        addAlert(JSON.parse(event.data));
      } else if (event.type === 'error') {
        const problem = JSON.parse(event.data);
        throw new ProblemError(problem.status || 500, problem);
      }
    }

    return events > 0;
  } finally {
    // Also when the page's own handling threw: a connection left open would hold one of the gateway's stream slots.
    clearTimeout(watchdog);
    signal.removeEventListener('abort', abort);
    connection.abort();
  }
}

/**
 * Follows the tenant live until streaming fails three times in a row; throws what waiting cannot mend (a 4xx). A
 * stream that delivered events before it failed (a connection cut after an hour) starts the count afresh: only
 * streams that never deliver anything (a proxy that holds them back) lead to polling.
 */
async function stream(tenantId, state, signal) {
  let failures = 0;
  while (!signal.aborted && failures < FailuresBeforePolling) {
    state.delivered = false;
    let wait = state.retry;
    try {
      failures = (await streamOnce(tenantId, state, signal)) ? 0 : failures + 1;
    } catch (error) {
      if (signal.aborted) {
        return;
      }

      if (error instanceof ProblemError && !error.transient) {
        throw error;
      }

      failures = state.delivered ? 1 : failures + 1;
      wait = Math.max(wait, error.retryAfterMilliseconds ?? 0);
      showProblem(error instanceof ProblemError ? error : new Error(`The live stream failed (${error.message}); trying again.`));
    }

    // The stream ended (the gateway stops) or failed: connect again after the interval the gateway asked for, or
    // after a refusal's Retry-After when that is longer.
    if (failures < FailuresBeforePolling) {
      setConnection('off', 'reconnecting');
      await sleep(wait, signal);
    }
  }
}

/**
 * Runs read every so many milliseconds until the signal aborts or until passes (on the monotonic clock, which a step
 * of the wall clock does not move): a failure that waiting may mend is shown and read is tried again; one it cannot
 * (a 4xx) is thrown.
 */
async function every(milliseconds, signal, read, until = Infinity) {
  let failures = 0;
  while (!signal.aborted && performance.now() < until) {
    let wait = milliseconds;
    try {
      await read();
      failures = 0;
      showProblem(null);
    } catch (error) {
      if (signal.aborted) {
        return;
      }

      if (error instanceof ProblemError && !error.transient) {
        throw error;
      }

      // Failing again and again (the gateway down), the page asks less often, and never before a Retry-After.
      failures++;
      wait = Math.max(Math.min(milliseconds * 2 ** (failures - 1), MaxRetryMilliseconds), error.retryAfterMilliseconds ?? 0);
      showProblem(error);
    }

    await sleep(wait, signal);
  }
}

/** Polls the usage and the alerts after the last seen, for a minute; then streaming is tried again. */
async function poll(tenantId, state, signal) {
  setConnection('polling', `polling every ${session.interval} s`);
  await every(session.interval * 1000, signal, async () => {
    renderUsage(await call(session.key, Routes.usage, { tenantId }, '', signal));
    let cursor = state.lastAlert;
    do {
      const query = cursor === null ? '?limit=100' : `?limit=100&cursor=${encodeURIComponent(cursor)}`;
      const page = await call(session.key, Routes.alerts, { tenantId }, query, signal);
      for (const alert of page.items) {
        addAlert(alert);
        state.lastAlert = String(alert.sequence);
      }

      cursor = page.nextCursor ?? null;
    } while (cursor !== null);
  }, performance.now() + PollingBeforeStreamingAgainMilliseconds);
}

/**
 * Reads the current month's statement (UTC) every ten seconds beside the live usage; a failure shows in its own
 * panel only, so that the usage goes on.
 */
async function watchStatement(tenantId, signal) {
  while (!signal.aborted) {
    try {
      const month = new Date().toISOString().slice(0, 7);
      renderStatement(await call(session.key, Routes.statement, { tenantId, month }, '', signal));
    } catch (error) {
      if (signal.aborted) {
        return;
      }

      statementUnavailable(error);
    }

    await sleep(StatementRefreshMilliseconds, signal);
  }
}

async function watchTenant(tenantId, signal) {
  $('tenant-view').hidden = false;
  clearAlerts();
  clearStatement();
  watchStatement(tenantId, signal);
  const state = { lastAlert: null, retry: session.interval * 1000 };
  while (!signal.aborted) {
    await stream(tenantId, state, signal);
    if (!signal.aborted) {
      await poll(tenantId, state, signal);
    }
  }
}

function watchButton(onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Watch';
  button.addEventListener('click', onClick);
  return button;
}

async function watchCluster(signal) {
  $('admin').hidden = false;
  setConnection('polling', `refreshing every ${AdminRefreshMilliseconds / 1000} s`);
  // Pools are read once: reading a pool activates it, and a page left open should not keep every pool active.
  let poolsListed = false;
  await every(AdminRefreshMilliseconds, signal, async () => {
    const [silos, tenants] = await Promise.all([
      call(session.key, Routes.silos, {}, '?limit=100', signal),
      call(session.key, Routes.tenants, {}, `?limit=${TenantsListed}`, signal),
    ]).catch((error) => {
      throw error instanceof ProblemError && error.status === 403
        ? new ProblemError(403, { detail: 'This key is a tenant key: enter its tenant id to watch that tenant.', code: 'forbidden' })
        : error;
    });
    fill($('silos'), silos.items, (row, silo) => {
      cell(row, silo.address);
      cell(row, silo.status);
      cell(row, silo.activations ?? '');
    });
    fill($('tenants'), tenants.items, (row, tenant) => {
      cell(row, tenant.id);
      cell(row, tenant.name);
      cell(row, tenant.tier);
      cell(row, tenant.status);
      row.insertCell().append(watchButton(() => start({ key: session.key, tenant: tenant.id, interval: session.interval, admin: true })));
    });
    if (!poolsListed) {
      const pools = await call(session.key, Routes.pools, {}, `?limit=${PoolsListed}`, signal);
      fill($('pools'), pools.items, (row, pool) => {
        cell(row, pool.id);
        cell(row, resources(pool.capacity));
        row.insertCell().append(watchButton(() => start({ key: session.key, pool: pool.id, interval: session.interval, admin: true })));
      });
      poolsListed = true;
    }
  });
}

/** Polls a pool's tenants' standings (admin): who holds what, who waits, and who goes next. */
async function watchPool(poolId, signal) {
  $('pool-view').hidden = false;
  clearStandings(poolId);
  setConnection('polling', `polling every ${session.interval} s`);
  let pool = null;
  await every(session.interval * 1000, signal, async () => {
    // Its configuration is read once (capacity), its standings every interval: one page, so a pool with more
    // tenants shows its first ones by id (the page says so).
    pool ??= await call(session.key, Routes.pool, { poolId }, '', signal);
    const page = await call(session.key, Routes.poolTenants, { poolId }, `?limit=${StandingsListed}`, signal);
    renderStandings(pool, page.items, page.nextCursor != null);
  });
}

function stop() {
  session?.controller.abort();
  $('admin').hidden = true;
  $('tenant-view').hidden = true;
  $('pool-view').hidden = true;
  $('overview').hidden = true;
  setConnection('off', 'not connected');
}

async function start(settings) {
  stop();
  session = { ...settings, controller: new AbortController() };
  sessionStorage.setItem('quotas.dashboard', JSON.stringify(settings));
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  // The admin, watching one tenant or pool, can go back to the cluster's overview.
  $('overview').hidden = !(settings.admin && (settings.tenant || settings.pool));
  showProblem(null);
  const { signal } = session.controller;
  try {
    await (settings.tenant ? watchTenant(settings.tenant, signal) : settings.pool ? watchPool(settings.pool, signal) : watchCluster(signal));
  } catch (error) {
    if (!signal.aborted) {
      stop();
      showProblem(error);
      $('sign-in').hidden = false;
      // A key the gateway refused is not sent again at the next reload: each refusal counts against this address.
      if (error?.status === 401) {
        sessionStorage.removeItem('quotas.dashboard');
      }
    }
  }
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const interval = Math.min(60, Math.max(1, Math.round(Number($('interval').value) || 2)));
  start({ key: $('key').value.trim(), tenant: $('tenant').value.trim(), interval });
});

$('overview').addEventListener('click', () => start({ key: session.key, interval: session.interval }));

$('sign-out').addEventListener('click', () => {
  stop();
  sessionStorage.removeItem('quotas.dashboard');
  session = null;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('key').value = '';
});

const saved = JSON.parse(sessionStorage.getItem('quotas.dashboard') || 'null');
if (saved?.key) {
  $('tenant').value = saved.tenant || '';
  $('interval').value = saved.interval || 2;
  start(saved);
}
