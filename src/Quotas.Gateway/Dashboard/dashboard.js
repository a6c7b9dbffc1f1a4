'use strict';

// The dashboard: plain JavaScript, no build step and no dependencies. It reads the API with the key the user gives
// (kept in this tab's sessionStorage), live through a tenant's usage event stream, or by polling the usage and alert
// routes where a stream cannot be held (a proxy that buffers, a gateway holding its most streams).
(() => {
  // The routes it calls, written as the gateway maps them (a test checks each against the gateway's routes).
  const Routes = {
    tenants: '/v1/tenants',
    silos: '/v1/cluster/silos',
    usage: '/v1/tenants/{tenantId}/usage',
    alerts: '/v1/tenants/{tenantId}/alerts',
    usageEvents: '/v1/tenants/{tenantId}/usage/events',
  };
  const FailuresBeforePolling = 3;
  const AdminRefreshMilliseconds = 10000;
  const AlertsShown = 50;

  const $ = (id) => document.getElementById(id);
  let session = null;

  /** An error answer of the API, with its problem details. */
  class ProblemError extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.title || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }

    /** Waiting may help (the cluster, or this gateway, is busy or down); else the request itself is wrong. */
    get transient() {
      return this.status >= 500 || this.status === 429;
    }
  }

  function route(template, values = {}, query = '') {
    return template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(values[name])) + query;
  }

  async function problemOf(response) {
    try {
      return await response.json();
    } catch {
      return { title: response.statusText };
    }
  }

  async function call(template, values, query, signal) {
    const response = await fetch(route(template, values, query), {
      headers: { Authorization: `Bearer ${session.key}`, Accept: 'application/json' },
      cache: 'no-store',
      signal,
    });
    if (!response.ok) {
      throw new ProblemError(response.status, await problemOf(response));
    }

    return response.json();
  }

  function sleep(milliseconds, signal) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, milliseconds);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  function showProblem(error) {
    const box = $('problem');
    if (!error) {
      box.hidden = true;
      return;
    }

    const problem = error.problem || {};
    box.textContent = `${error.message}${problem.code ? ` (${problem.code})` : ''}${problem.traceId ? ` — trace ${problem.traceId}` : ''}`;
    box.hidden = false;
  }

  function setConnection(mode, text) {
    const badge = $('connection');
    badge.dataset.mode = mode;
    badge.textContent = text;
  }

  function cell(row, text) {
    const td = row.insertCell();
    td.textContent = text;
    return td;
  }

  function fill(table, items, addRow) {
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const item of items) {
      addRow(body.insertRow(), item);
    }
  }

  function quotaRow(row, quota) {
    cell(row, quota.quota);
    cell(row, quota.limit < 0 ? `${quota.current} (unlimited)` : `${quota.current} / ${quota.limit}`);
    const bar = document.createElement('div');
    bar.className = 'bar';
    const percent = Math.min(100, Math.max(0, quota.utilizationPercent ?? 0));
    bar.dataset.level = percent >= 100 ? 'full' : percent >= 80 ? 'high' : 'ok';
    const fillBar = document.createElement('span');
    fillBar.style.width = `${percent}%`;
    bar.append(fillBar);
    row.insertCell().append(bar);
    cell(row, quota.resetsAt ? `resets ${new Date(quota.resetsAt).toLocaleTimeString()}` : '');
    row.dataset.quota = quota.quota;
  }

  function renderUsage(stats) {
    $('tenant-id').textContent = stats.tenant;
    $('tenant-status').textContent = stats.status;
    $('updated').textContent = new Date(stats.at).toLocaleTimeString();
    $('updated').dateTime = stats.at;
    for (const kind of ['gauges', 'rates', 'budgets', 'reported']) {
      fill($(kind), stats[kind], quotaRow);
    }
  }

  function addAlert(alert) {
    const list = $('alerts');
    const item = document.createElement('li');
    item.dataset.sequence = alert.sequence;
    item.textContent = `${new Date(alert.at).toLocaleString()}: ${alert.quota} (${alert.kind}) reached ${alert.thresholdPercent}% — ${alert.usage} of ${alert.limit}`;
    list.prepend(item);
    while (list.children.length > AlertsShown) {
      list.lastElementChild.remove();
    }
  }

  /** The events of a text/event-stream body, as the HTML standard parses them. */
  async function* serverSentEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = { data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }

      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === '') {
          if (event.data.length > 0) {
            yield { type: event.type || 'message', data: event.data.join('\n'), id: event.id, retry: event.retry };
          }

          event = { data: [] };
          continue;
        }

        if (line.startsWith(':')) {
          continue;
        }

        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) {
          text = text.slice(1);
        }

        if (field === 'event') event.type = text;
        else if (field === 'data') event.data.push(text);
        else if (field === 'id') event.id = text;
        else if (field === 'retry' && /^\d+$/.test(text)) event.retry = Number(text);
      }
    }
  }

  /** Follows the tenant live; returns the last alert seen when streaming keeps failing, for polling to go on from. */
  async function stream(tenantId, signal) {
    let lastAlert = null;
    let retry = session.interval * 1000;
    let failures = 0;
    while (!signal.aborted && failures < FailuresBeforePolling) {
      try {
        const headers = { Authorization: `Bearer ${session.key}`, Accept: 'text/event-stream' };
        if (lastAlert !== null) {
          headers['Last-Event-ID'] = lastAlert;
        }

        const response = await fetch(route(Routes.usageEvents, { tenantId }, `?interval=${session.interval}`), { headers, cache: 'no-store', signal });
        if (!response.ok) {
          throw new ProblemError(response.status, await problemOf(response));
        }

        if (!response.body) {
          break;
        }

        for await (const event of serverSentEvents(response.body)) {
          failures = 0;
          if (event.retry !== undefined) retry = event.retry;
          if (event.type === 'usage') {
            setConnection('live', 'live');
            showProblem(null);
            renderUsage(JSON.parse(event.data));
          } else if (event.type === 'alert') {
            lastAlert = event.id;
            addAlert(JSON.parse(event.data));
          } else if (event.type === 'error') {
            const problem = JSON.parse(event.data);
            throw new ProblemError(problem.status || 500, problem);
          }
        }
      } catch (error) {
        if (signal.aborted) {
          return lastAlert;
        }

        if (error instanceof ProblemError && !error.transient) {
          throw error;
        }

        failures++;
        showProblem(error instanceof ProblemError ? error : new Error(`The stream was lost (${error.message}); connecting again.`));
      }

      // The stream ended (the gateway stops) or failed: connect again after the interval the gateway asked for.
      setConnection('off', 'reconnecting');
      await sleep(retry, signal);
    }

    return lastAlert;
  }

  async function poll(tenantId, lastAlert, signal) {
    setConnection('polling', `polling every ${session.interval} s`);
    while (!signal.aborted) {
      try {
        renderUsage(await call(Routes.usage, { tenantId }, '', signal));
        let cursor = lastAlert;
        do {
          const page = await call(Routes.alerts, { tenantId }, cursor === null ? '?limit=100' : `?limit=100&cursor=${encodeURIComponent(cursor)}`, signal);
          for (const alert of page.items) {
            addAlert(alert);
            lastAlert = String(alert.sequence);
          }

          cursor = page.nextCursor ?? null;
        } while (cursor !== null);
        showProblem(null);
      } catch (error) {
        if (signal.aborted) {
          return;
        }

        if (error instanceof ProblemError && !error.transient) {
          throw error;
        }

        showProblem(error);
      }

      await sleep(session.interval * 1000, signal);
    }
  }

  async function watchTenant(tenantId, signal) {
    $('tenant-view').hidden = false;
    $('alerts').replaceChildren();
    const lastAlert = await stream(tenantId, signal);
    if (!signal.aborted) {
      await poll(tenantId, lastAlert, signal);
    }
  }

  async function watchCluster(signal) {
    $('admin').hidden = false;
    setConnection('polling', `refreshing every ${AdminRefreshMilliseconds / 1000} s`);
    while (!signal.aborted) {
      try {
        const [silos, tenants] = await Promise.all([
          call(Routes.silos, {}, '?limit=100', signal),
          call(Routes.tenants, {}, '?limit=100', signal),
        ]);
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
          const watch = document.createElement('button');
          watch.type = 'button';
          watch.textContent = 'Watch';
          watch.addEventListener('click', () => start({ ...session, tenant: tenant.id }));
          row.insertCell().append(watch);
        });
        showProblem(null);
      } catch (error) {
        if (signal.aborted) {
          return;
        }

        if (error instanceof ProblemError && error.status === 403) {
          throw new ProblemError(403, { detail: 'This key is a tenant key: enter its tenant id to watch that tenant.', code: 'forbidden' });
        }

        if (error instanceof ProblemError && !error.transient) {
          throw error;
        }

        showProblem(error);
      }

      await sleep(AdminRefreshMilliseconds, signal);
    }
  }

  function stop() {
    session?.controller.abort();
    $('admin').hidden = true;
    $('tenant-view').hidden = true;
    setConnection('off', 'not connected');
  }

  async function start(settings) {
    stop();
    session = { ...settings, controller: new AbortController() };
    sessionStorage.setItem('quotas.dashboard', JSON.stringify({ key: settings.key, tenant: settings.tenant, interval: settings.interval }));
    $('sign-in').hidden = true;
    $('sign-out').hidden = false;
    showProblem(null);
    const { signal } = session.controller;
    try {
      await (settings.tenant ? watchTenant(settings.tenant, signal) : watchCluster(signal));
    } catch (error) {
      if (!signal.aborted) {
        stop();
        showProblem(error);
        $('sign-in').hidden = false;
      }
    }
  }

  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const interval = Math.min(60, Math.max(1, Math.round(Number($('interval').value) || 2)));
    start({ key: $('key').value.trim(), tenant: $('tenant').value.trim(), interval });
  });

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
})();
