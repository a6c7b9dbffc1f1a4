// What the page shows; every value from the API goes in as text, never as markup.

const AlertsShown = 50;
const $ = (id) => document.getElementById(id);

export function showProblem(error) {
  const box = $('problem');
  if (!error) {
    box.hidden = true;
    return;
  }

  const problem = error.problem || {};
  box.textContent = `${error.message}${problem.code ? ` (${problem.code})` : ''}${problem.traceId ? ` — trace ${problem.traceId}` : ''}`;
  box.hidden = false;
}

export function setConnection(mode, text) {
  const badge = $('connection');
  badge.dataset.mode = mode;
  badge.textContent = text;
}

export function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

export function fill(table, items, addRow) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    addRow(body.insertRow(), item);
  }
}

function quotaRow(row, quota) {
  row.dataset.quota = quota.quota;
  cell(row, quota.quota);
  cell(row, quota.limit < 0 ? `${quota.current} (unlimited)` : `${quota.current} / ${quota.limit}`);
  const bar = document.createElement('div');
  bar.className = 'bar';
  const percent = Math.min(100, Math.max(0, quota.utilizationPercent ?? 0));
  bar.dataset.level = percent >= 100 ? 'full' : percent >= 80 ? 'high' : 'ok';
  const used = document.createElement('span');
  used.style.width = `${percent}%`;
  bar.append(used);
  row.insertCell().append(bar);
  cell(row, quota.resetsAt ? resetsText(new Date(quota.resetsAt)) : '');
}

/**
 * When a quota resets, in the viewer's time zone: the time alone today, with the date on another day (a budget's
 * period ends next month), nothing for a reset in year 9999 (never).
 */
export function resetsText(at, now = new Date()) {
  if (at.getFullYear() >= 9999) {
    return '';
  }

  return at.toDateString() === now.toDateString() ? `resets ${at.toLocaleTimeString()}` : `resets ${at.toLocaleString()}`;
}

export function renderUsage(stats) {
  $('tenant-id').textContent = stats.tenant;
  $('tenant-status').textContent = stats.status;
  $('updated').textContent = new Date(stats.at).toLocaleTimeString();
  $('updated').dateTime = stats.at;
  for (const kind of ['gauges', 'rates', 'budgets', 'reported']) {
    fill($(kind), stats[kind], quotaRow);
  }
}

// With the decimals the statement rounded to (the browser's own table differs for some currencies).
function money(amount, currency, decimals) {
  if (!currency) {
    return '';
  }

  try {
    return new Intl.NumberFormat('en', {
      style: 'currency', currency, currencyDisplay: 'code', minimumFractionDigits: decimals, maximumFractionDigits: decimals,
    }).format(amount);
  } catch {
    return `${currency} ${Number(amount).toFixed(decimals)}`;
  }
}

/** The month's statement so far: a row per meter, then the total and what the month comes to at this rate. */
export function renderStatement(statement) {
  $('statement-period').textContent = `${statement.periodStart.slice(0, 7)} (UTC), updated ${new Date(statement.computedAt).toLocaleTimeString()}`;
  fill($('statement'), statement.lines, (row, line) => {
    row.dataset.meter = line.meter;
    cell(row, line.meter);
    cell(row, line.quantity);
    cell(row, line.included);
    cell(row, money(line.amount, statement.currency, statement.decimals));
    cell(row, line.projectedAmount == null ? '' : money(line.projectedAmount, statement.currency, statement.decimals));
  });
  const sum = (amount) => money(amount, statement.currency, statement.decimals);
  $('statement-total').textContent = statement.plan == null
    ? 'No pricing plan: the usage alone, at no price.'
    : `Plan ${statement.plan}: ${sum(statement.total)} so far, the monthly fee of ${sum(statement.monthlyFee)} included`
      + (statement.projectedTotal == null ? '.' : `; ${sum(statement.projectedTotal)} by the month's end at this rate.`);
}

/** Empties the statement panel: a view of another tenant, or figures that could not be read again, are not shown. */
export function clearStatement(text = '') {
  $('statement-period').textContent = '';
  fill($('statement'), [], () => {});
  $('statement-total').textContent = text;
}

/** Why the statement could not be read; the rest of the view goes on. */
export function statementUnavailable(error) {
  clearStatement(`The month's statement could not be read: ${error.message}`);
}

export function clearAlerts() {
  $('alerts').replaceChildren();
}

export function addAlert(alert) {
  const list = $('alerts');
  const item = document.createElement('li');
  item.dataset.sequence = alert.sequence;
  item.textContent = `${new Date(alert.at).toLocaleString()}: ${alert.quota} (${alert.kind}) reached ${alert.thresholdPercent}% — ${alert.usage} of ${alert.limit}`;
  list.prepend(item);
  while (list.children.length > AlertsShown) {
    list.lastElementChild.remove();
  }
}

/** A resource map as text: "cpu_millicores 500, workers 1". */
export function resources(map) {
  return Object.entries(map || {}).map(([name, amount]) => `${name} ${amount}`).join(', ');
}

/** Empties the pool view for another pool, so that nothing of the one shown before stays under its name. */
export function clearStandings(poolId) {
  $('pool-id').textContent = poolId;
  $('pool-capacity').textContent = '';
  $('pool-updated').textContent = '';
  $('pool-more').hidden = true;
  fill($('standings'), [], () => {});
}

/**
 * A pool's tenants by weighted share, least first: who the pool serves first (among equal shares it serves the one it
 * served longest ago, which the page cannot see; there it sorts by id).
 */
export function renderStandings(pool, standings, more) {
  $('pool-id').textContent = pool.id;
  $('pool-more').hidden = !more;
  $('pool-capacity').textContent = resources(pool.capacity);
  $('pool-updated').textContent = new Date().toLocaleTimeString();
  const ordered = [...standings].sort((a, b) => a.weightedShare - b.weightedShare || a.tenant.localeCompare(b.tenant));
  fill($('standings'), ordered, (row, standing) => {
    row.dataset.tenant = standing.tenant;
    cell(row, standing.tenant);
    cell(row, standing.tier ?? '');
    cell(row, standing.weight);
    cell(row, resources(standing.allocated));
    cell(row, standing.queuedJobs);
    cell(row, standing.leasedJobs);
    cell(row, standing.completedJobs);
    cell(row, standing.weightedShare.toFixed(4));
  });
}
