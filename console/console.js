// The ecs-autopilot console's page: plain browser JavaScript, no framework and no build step. It reads the
// stage's HTTP API through /api/… (the local server signs each call) and draws with Chart.js (global Chart).
// Every text that comes from the API goes into the page as text (textContent, text nodes), never as HTML.

const view = document.getElementById('view');
const settings = { stage: '', cluster: '' };
let charts = [];
/** Charts built by a view, drawn once the view is in the page (Chart.js measures its box). */
let pendingCharts = [];
let renderCount = 0;

// ---- the API ----

class ApiError extends Error {
  constructor(status, body) {
    const b = body && typeof body === 'object' ? body : { message: body };
    super(`${status}${b.error ? ` ${b.error}` : ''}${b.message ? `: ${b.message}` : ''}`);
    this.status = status;
  }
}

async function api(path) {
  const response = await fetch(`/api${path}`, { headers: { accept: 'application/json' } });
  const text = await response.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: shown as it came
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const enc = encodeURIComponent;
const lastSegment = (arn) => (arn ? String(arn).split('/').pop() : '');

// ---- building the page (text only) ----

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A link to another view: always a #/ route, its parts URI-encoded. */
const link = (route, text, attributes = {}) => el('a', { href: `#/${route}`, ...attributes }, text);
const taskLink = (arnOrId, attributes = {}) =>
  link(`task/${enc(lastSegment(arnOrId))}`, lastSegment(arnOrId), attributes);

/** 2026-05-14T09:12:47.123Z → 2026-05-14 09:12:47 (UTC, as the CLI prints it). */
function time(value) {
  if (!value) return '';
  return String(value)
    .replace('T', ' ')
    .replace(/(\.\d+)?Z$/, '');
}

function table(columns, rows, options = {}) {
  if (!rows.length) return el('p', { class: 'empty' }, options.empty ?? '(none)');
  return el(
    'table',
    options.attributes,
    el(
      'thead',
      null,
      el(
        'tr',
        null,
        columns.map((c) => el('th', { class: c.num && 'num' }, c.header)),
      ),
    ),
    el(
      'tbody',
      null,
      rows.map((row) =>
        el(
          'tr',
          { class: options.rowClass?.(row) },
          columns.map((c) => el('td', { class: c.num && 'num' }, c.value(row) ?? '')),
        ),
      ),
    ),
  );
}

const section = (title, ...children) => el('section', null, el('h3', null, title), ...children);
const badge = (text, kind) => el('span', { class: `badge${kind ? ` ${kind}` : ''}` }, text);

/** What a route that failed shows: "not available" for a 404 (a route this stage does not have yet). */
function unavailable(what, error) {
  if (error instanceof ApiError && error.status === 404)
    return el(
      'p',
      { class: 'unavailable', 'data-unavailable': what },
      `${what}: not available (${error.message})`,
    );
  return el('p', { class: 'error' }, `${what}: ${error.message}`);
}

function chart(config, height) {
  const canvas = el('canvas');
  const box = el('div', { class: 'chart' }, canvas);
  if (height) box.style.height = `${height}px`;
  pendingCharts.push({ canvas, config });
  return box;
}

const COLORS = {
  spotFargate: '#f79009',
  onDemandFargate: '#2457c5',
  spotEc2: '#fdb022',
  onDemandEc2: '#5b8def',
  moved: '#7a5af8',
};
const STATUS_COLORS = {
  PROVISIONING: '#c7d7fe',
  PENDING: '#98a2b3',
  ACTIVATING: '#84caff',
  RUNNING: '#12b76a',
  DEACTIVATING: '#fec84b',
  STOPPING: '#f79009',
  DEPROVISIONING: '#fda29b',
  STOPPED: '#d92d20',
};

// ---- views ----

async function clusterView(cluster) {
  if (!cluster) return el('p', { class: 'empty' }, 'Name a cluster above to see its state.');
  const [state, mix, tasks] = await Promise.allSettled([
    api(`/clusters/${enc(cluster)}`),
    api(`/clusters/${enc(cluster)}/capacity`),
    api(`/tasks?cluster=${enc(cluster)}&limit=20`),
  ]);
  return el(
    'div',
    null,
    el('h2', null, `Cluster ${cluster}`),
    state.status === 'fulfilled'
      ? clusterState(state.value)
      : section('State', unavailable('Cluster state', state.reason)),
    section(
      'Capacity mix',
      mix.status === 'fulfilled' ? capacityMix(mix.value) : unavailable('Capacity mix', mix.reason),
    ),
    section(
      'Recent tasks',
      tasks.status === 'fulfilled' ? taskTable(tasks.value.tasks ?? []) : unavailable('Tasks', tasks.reason),
    ),
  );
}

function capacityLabel(c) {
  return `${c.name} (${c.compute === 'ec2' ? 'EC2' : 'Fargate'}, ${c.spot ? 'Spot' : 'on-demand'})`;
}

function capacityColor(c) {
  if (c.compute === 'ec2') return c.spot ? COLORS.spotEc2 : COLORS.onDemandEc2;
  return c.spot ? COLORS.spotFargate : COLORS.onDemandFargate;
}

function clusterState(s) {
  const t = s.tasks;
  const byClass = Object.entries(s.stoppedLastHour.byClassification).map(([classification, count]) => ({
    classification,
    count,
  }));
  const restartColumns = [
    { header: 'Task', value: (r) => taskLink(r.taskArn) },
    { header: 'Family', value: (r) => r.family },
    { header: 'Decided', value: (r) => time(r.decidedAt) },
    { header: 'Attempt', value: (r) => r.attempt, num: true },
    { header: 'Reason', value: (r) => r.reason },
  ];
  return el(
    'div',
    { 'data-cluster-state': s.cluster },
    el(
      'section',
      null,
      el(
        'div',
        { class: 'counts' },
        [
          ['running', t.running],
          ['pending', t.pending],
          ['stopped in the last hour', s.stoppedLastHour.total],
          ['restarts in flight', s.restarts.inFlight.length],
          ['restarts exhausted', s.restarts.exhausted.length],
        ].map(([label, n]) => el('div', { class: 'count' }, el('b', null, n), el('span', null, label))),
      ),
      el('p', { class: 'muted' }, `ECS read at ${time(s.asOf)} UTC`),
    ),
    el(
      'div',
      { class: 'grid' },
      section(
        'Running tasks by capacity',
        chart({
          type: 'doughnut',
          data: {
            labels: t.byCapacity.map(capacityLabel),
            datasets: [
              {
                label: 'running',
                data: t.byCapacity.map((c) => c.running),
                backgroundColor: t.byCapacity.map(capacityColor),
              },
            ],
          },
          options: { plugins: { legend: { position: 'right' } } },
        }),
      ),
      section(
        'Tasks by family',
        chart({
          type: 'bar',
          data: {
            labels: t.byFamily.map((f) => f.family),
            datasets: [
              {
                label: 'running',
                data: t.byFamily.map((f) => f.running),
                backgroundColor: STATUS_COLORS.RUNNING,
              },
              {
                label: 'pending',
                data: t.byFamily.map((f) => f.pending),
                backgroundColor: STATUS_COLORS.PENDING,
              },
            ],
          },
          options: {
            indexAxis: 'y',
            scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } },
          },
        }),
      ),
    ),
    section(
      'Services',
      table(
        [
          { header: 'Service', value: (v) => v.service },
          { header: 'Desired', value: (v) => v.desiredCount, num: true },
          { header: 'Running', value: (v) => v.runningCount, num: true },
          { header: 'Pending', value: (v) => v.pendingCount, num: true },
          { header: 'Capacity', value: (v) => v.capacity.join(', ') },
          {
            header: 'Spot fallback',
            value: (v) =>
              v.spotFallback
                ? [
                    badge('on-demand', 'spot'),
                    v.spotFallback.onDemandSince && ` since ${time(v.spotFallback.onDemandSince)}`,
                  ]
                : '',
          },
        ],
        s.services,
        { empty: '(no services)' },
      ),
    ),
    el(
      'div',
      { class: 'grid' },
      section(
        'Stopped in the last hour',
        table(
          [
            { header: 'Classification', value: (r) => r.classification },
            { header: 'Tasks', value: (r) => r.count, num: true },
          ],
          byClass,
        ),
      ),
      section(
        'Launch budgets',
        table(
          [
            { header: 'Budget', value: (b) => b.name },
            { header: 'Used', value: (b) => `${b.used} / ${b.limit}`, num: true },
            { header: 'Window', value: (b) => `${b.windowMinutes} min` },
          ],
          s.budgets,
        ),
      ),
    ),
    section('Restarts in flight', table(restartColumns, s.restarts.inFlight)),
    section('Restarts exhausted', table(restartColumns, s.restarts.exhausted)),
    el(
      'div',
      { class: 'grid' },
      section(
        'Restart circuit breakers',
        table(
          [
            { header: 'Family', value: (b) => b.family },
            { header: 'State', value: (b) => badge(b.state, b.state === 'OPEN' ? 'bad' : 'ok') },
            {
              header: 'Failed again',
              value: (b) => `${b.relaunchesThatFailedAgain} / ${b.limit}`,
              num: true,
            },
            { header: 'Open until', value: (b) => time(b.openUntil) },
          ],
          s.breakers,
        ),
      ),
      section(
        'Spot shortages',
        table(
          [
            { header: 'Provider', value: (x) => x.provider },
            { header: 'Falls back to', value: (x) => x.fallback },
            { header: 'Until', value: (x) => time(x.until) },
          ],
          s.spotShortages,
        ),
      ),
    ),
    section(
      'Upcoming runs',
      table(
        [
          { header: 'At', value: (r) => time(r.at) },
          { header: 'Schedule', value: (r) => r.schedule },
          { header: 'Task definition', value: (r) => r.taskDefinition },
          { header: 'Tasks', value: (r) => r.count, num: true },
        ],
        s.upcomingRuns,
      ),
    ),
  );
}

const hours = (n) => `${Number(n).toFixed(1)} h`;

function capacityMix(m) {
  const money = (n) => `${m.estimatedSaving.currency} ${Number(n).toFixed(2)}`;
  return el(
    'div',
    { 'data-capacity-mix': m.cluster },
    el(
      'p',
      null,
      `Task-hours from ${time(m.from)} to ${time(m.to)} UTC: ${hours(m.totals.spotTaskHours)} on Spot, ${hours(m.totals.onDemandTaskHours)} on-demand, ${hours(m.totals.movedBySpotFallbackTaskHours)} moved off Spot by the fallback. Spot saved an estimated ${money(m.estimatedSaving.amount)}; the fallback cost ${money(m.estimatedSaving.fallbackCost)} (prices for ${m.estimatedSaving.pricesRegion}).`,
    ),
    chart(
      {
        type: 'bar',
        data: {
          labels: m.families.map((f) => f.family),
          datasets: [
            {
              label: 'Spot',
              data: m.families.map((f) => f.spotTaskHours),
              backgroundColor: COLORS.spotFargate,
            },
            {
              label: 'on-demand',
              data: m.families.map((f) => f.onDemandTaskHours),
              backgroundColor: COLORS.onDemandFargate,
            },
            {
              label: 'moved off Spot (fallback)',
              data: m.families.map((f) => f.movedBySpotFallbackTaskHours),
              backgroundColor: COLORS.moved,
            },
          ],
        },
        options: { scales: { y: { title: { display: true, text: 'task-hours' } } } },
      },
      Math.max(200, 60 + 40 * m.families.length),
    ),
  );
}

function taskTable(tasks) {
  return table(
    [
      { header: 'Task', value: (t) => taskLink(t.taskId ?? t.taskArn) },
      { header: 'Status', value: (t) => t.lastStatus },
      { header: 'Classification', value: (t) => t.classification },
      { header: 'Task definition', value: (t) => t.taskDefinition },
      { header: 'Capacity', value: (t) => t.capacityProviderName ?? t.launchType },
      { header: 'Created', value: (t) => time(t.createdAt) },
      { header: 'Stopped', value: (t) => time(t.stoppedAt) },
    ],
    tasks,
    { empty: '(no tasks recorded)', attributes: { 'data-tasks': '' } },
  );
}

async function taskPicker() {
  const input = el('input', { name: 'task', placeholder: 'task id or ARN', size: 50 });
  const form = el(
    'form',
    null,
    el('label', null, 'Task ', input),
    ' ',
    el('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) location.hash = `#/task/${enc(lastSegment(input.value.trim()))}`;
  });
  let recent = el('p', { class: 'empty' }, 'Name a cluster above to list its recent tasks.');
  if (settings.cluster) {
    recent = await api(`/tasks?cluster=${enc(settings.cluster)}&limit=20`).then(
      (page) => taskTable(page.tasks ?? []),
      (error) => unavailable('Tasks', error),
    );
  }
  return el(
    'div',
    null,
    el('h2', null, 'Task timeline'),
    el('section', null, form),
    section(settings.cluster ? `Recent tasks in ${settings.cluster}` : 'Recent tasks', recent),
  );
}

/** What a transition brought: its stop code, the containers' exit codes, the reason. */
function transitionDetail(t) {
  const exits = (t.containers ?? [])
    .filter((c) => c.exitCode !== undefined && c.exitCode !== null)
    .map((c) => `${c.name}=${c.exitCode}`)
    .join(' ');
  return [t.stopCode, exits, t.stoppedReason].filter(Boolean).join(' · ');
}

/** Spot moves around a task: it replaced a task interrupted on Spot, or it was interrupted and moved. */
function spotMoves(h) {
  const moves = [];
  if (h.launch?.reason === 'spot-interruption') {
    const from = h.launch.lineage?.previousTaskArn ?? h.launch.lineage?.originTaskArn;
    moves.push(
      el(
        'span',
        null,
        badge('Spot move', 'spot'),
        ' started on-demand in place of ',
        from ? taskLink(from) : 'a Spot task',
        ' (Spot interruption)',
      ),
    );
  }
  if (h.decision?.action === 'spot-fallback') {
    const to = h.decision.replacementTaskArns?.[0];
    moves.push(
      el(
        'span',
        null,
        badge('Spot move', 'spot'),
        ' interrupted on Spot; moved to ',
        to ? taskLink(to) : 'a replacement (not started yet)',
      ),
    );
  }
  return moves;
}

/** The status segments of one task: each transition lasts until the next (the last until now, if running). */
function segments(transitions, row, now) {
  const sorted = [...transitions].sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
  return sorted.map((t, i) => {
    const start = Date.parse(t.eventTime);
    const next = sorted[i + 1];
    const end = next ? Date.parse(next.eventTime) : t.lastStatus === 'STOPPED' ? start : Math.max(start, now);
    return { status: t.lastStatus, x: [start, end], y: row };
  });
}

function clock(ms) {
  const d = new Date(ms);
  return `${d.toISOString().slice(11, 19)}${d.getUTCMilliseconds() ? `.${String(d.getUTCMilliseconds()).padStart(3, '0')}` : ''}`;
}

function timelineChart(rows) {
  const now = Date.now();
  const points = rows.flatMap((r) => segments(r.transitions, r.label, now));
  const statuses = [...new Set(points.map((p) => p.status))];
  return chart(
    {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.label),
        datasets: statuses.map((status) => ({
          label: status,
          data: points.filter((p) => p.status === status),
          backgroundColor: STATUS_COLORS[status] ?? '#667085',
          minBarLength: 4,
          grouped: false,
          barPercentage: 0.6,
        })),
      },
      options: {
        indexAxis: 'y',
        scales: {
          x: {
            type: 'linear',
            // The span of the chain, not from 1970 (a bar's value axis starts at zero by default).
            min: Math.min(...points.map((p) => p.x[0])),
            max: Math.max(...points.map((p) => p.x[1])),
            ticks: { callback: (v) => clock(v), maxRotation: 0 },
            title: { display: true, text: 'UTC' },
          },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (c) =>
                `${c.dataset.label}: ${clock(c.raw.x[0])} → ${clock(c.raw.x[1])} (${((c.raw.x[1] - c.raw.x[0]) / 1000).toFixed(1)} s)`,
            },
          },
        },
      },
    },
    80 + 46 * rows.length,
  );
}

async function taskView(taskId) {
  const h = await api(`/tasks/${enc(taskId)}`);
  const task = h.task ?? {};
  const attempts = h.attempts ?? [];
  const self = lastSegment(task.taskArn ?? h.launch?.taskArn ?? taskId);
  // The other tasks of the restart chain, read too: the chain's transitions share one time axis.
  const others = attempts.map((a) => lastSegment(a.taskArn)).filter((id) => id !== self);
  const histories = new Map([[self, h]]);
  const read = await Promise.allSettled(others.map((id) => api(`/tasks/${enc(id)}`)));
  others.forEach((id, i) => {
    if (read[i].status === 'fulfilled') histories.set(id, read[i].value);
  });
  const chainIds = attempts.length ? attempts.map((a) => lastSegment(a.taskArn)) : [self];
  const rows = chainIds
    .filter((id) => histories.has(id))
    .map((id, i) => ({
      label: `${attempts.length ? `attempt ${attempts[i]?.attempt ?? i} · ` : ''}${id.slice(0, 8)}${id === self ? ' (this)' : ''}`,
      transitions: histories.get(id).transitions ?? [],
    }));

  const previous = h.launch?.lineage?.previousTaskArn;
  const replacement = h.decision?.replacementTaskArns?.[0];
  const origin = h.originTaskArn && lastSegment(h.originTaskArn) !== self ? h.originTaskArn : undefined;
  const decision = h.decision;
  const pending = h.replacementLaunch;

  return el(
    'div',
    { 'data-task': self },
    el('h2', null, `Task ${self}`),
    el(
      'section',
      null,
      el(
        'dl',
        null,
        [
          ['Task', task.taskArn ?? h.launch?.taskArn],
          ['Cluster', task.cluster],
          ['Task definition', task.taskDefinition],
          ['Status', task.lastStatus && `${task.lastStatus} (desired ${task.desiredStatus})`],
          ['Classification', task.classification],
          ['Capacity', task.capacityProviderName ?? task.launchType],
          ['Stopped reason', task.stoppedReason],
          ['Launched by ecs-autopilot', h.launch && `${h.launch.reason} at ${time(h.launch.launchedAt)}`],
        ]
          .filter(([, v]) => v)
          .flatMap(([k, v]) => [el('dt', null, k), el('dd', null, v)]),
      ),
      el(
        'p',
        { class: 'links' },
        origin && el('span', null, 'Origin: ', taskLink(origin, { 'data-rel': 'origin' }), ' '),
        previous &&
          el('span', null, 'Previous attempt: ', taskLink(previous, { 'data-rel': 'previous' }), ' '),
        replacement &&
          el('span', null, 'Replacement: ', taskLink(replacement, { 'data-rel': 'replacement' })),
        pending &&
          el(
            'span',
            null,
            `Replacement launch: ${pending.status}${pending.message ? ` (${pending.message})` : ''}`,
          ),
      ),
      decision &&
        el(
          'p',
          { 'data-decision': decision.action },
          `Decision at ${time(decision.decidedAt)}: ${decision.action}`,
          decision.delaySeconds !== undefined ? ` after ${decision.delaySeconds} s` : '',
          decision.reason ? ` (${decision.reason})` : '',
        ),
      ...spotMoves(h).map((m) => el('p', { 'data-spot-move': '' }, m)),
    ),
    section(attempts.length ? 'Timeline of the restart chain' : 'Timeline', timelineChart(rows)),
    section(
      'Transitions',
      table(
        [
          { header: 'Time', value: (t) => time(t.eventTime) },
          { header: 'Status', value: (t) => t.lastStatus },
          { header: 'Desired', value: (t) => t.desiredStatus },
          { header: 'Capacity', value: (t) => t.capacityProviderName ?? t.launchType },
          { header: 'Detail', value: transitionDetail },
        ],
        h.transitions ?? [],
        { attributes: { 'data-transitions': '' } },
      ),
    ),
    attempts.length > 0 &&
      section(
        'Restart chain',
        table(
          [
            { header: 'Attempt', value: (a) => a.attempt, num: true },
            { header: 'Task', value: (a) => taskLink(a.taskArn) },
            { header: 'Exit', value: (a) => a.exitCode, num: true },
            { header: 'Stop code', value: (a) => a.stopCode },
            { header: 'Failure', value: (a) => a.failureKind },
            { header: 'Decision', value: (a) => a.decision },
            {
              header: 'Delay',
              value: (a) => (a.delaySeconds === undefined ? '' : `${a.delaySeconds} s`),
              num: true,
            },
            {
              header: 'Replaced by',
              value: (a) => (a.replacementTaskArns ?? []).flatMap((r, i) => [i ? ' ' : '', taskLink(r)]),
            },
          ],
          attempts,
          {
            rowClass: (a) => (lastSegment(a.taskArn) === self ? 'current' : undefined),
            attributes: { 'data-chain': '' },
          },
        ),
      ),
  );
}

async function schedulesView() {
  const page = await api('/schedules?limit=50');
  const schedules = page.schedules ?? [];
  // Next run times come with one schedule's GET, the history with its runs.
  const details = await Promise.all(
    schedules.map(async (s) => {
      const [one, runs] = await Promise.allSettled([
        api(`/schedules/${enc(s.name)}`),
        api(`/schedules/${enc(s.name)}/runs?limit=10`),
      ]);
      return {
        ...s,
        nextRunTimes: one.status === 'fulfilled' ? (one.value.nextRunTimes ?? []) : [],
        lastRun: one.status === 'fulfilled' ? one.value.lastRun : undefined,
        runs: runs.status === 'fulfilled' ? (runs.value.runs ?? []) : [],
        runsError: runs.status === 'rejected' ? runs.reason : undefined,
      };
    }),
  );
  return el(
    'div',
    null,
    el('h2', null, 'Schedules'),
    section(
      'Schedules and their next runs',
      table(
        [
          { header: 'Name', value: (s) => s.name },
          { header: 'State', value: (s) => badge(s.state, s.state === 'PAUSED' ? 'spot' : 'ok') },
          { header: 'Expression', value: (s) => `${s.expression}${s.timezone ? ` (${s.timezone})` : ''}` },
          { header: 'Cluster', value: (s) => s.cluster },
          { header: 'Task definition', value: (s) => s.taskDefinition },
          {
            header: 'Next runs',
            value: (s) =>
              s.nextRunTimes.length
                ? s.nextRunTimes.slice(0, 3).flatMap((t, i) => [i ? el('br') : '', `${time(t.time)} UTC`])
                : el('span', { class: 'muted' }, s.state === 'PAUSED' ? 'paused' : 'none'),
          },
        ],
        details,
        { empty: '(no schedules)', attributes: { 'data-schedules': '' } },
      ),
    ),
    details.map((s) =>
      section(
        `Runs of ${s.name}`,
        s.runsError
          ? unavailable('Runs', s.runsError)
          : table(
              [
                { header: 'Time', value: (r) => time(r.scheduledTime) },
                { header: 'Trigger', value: (r) => r.trigger },
                { header: 'Status', value: (r) => r.status },
                {
                  header: 'Tasks',
                  value: (r) => (r.taskArns ?? []).flatMap((a, i) => [i ? ' ' : '', taskLink(a)]),
                },
                {
                  header: 'Duration',
                  value: (r) => (r.durationSeconds === undefined ? '' : `${r.durationSeconds} s`),
                  num: true,
                },
                { header: 'Exit codes', value: (r) => (r.exitCodes ?? []).join(' ') },
                { header: 'Why', value: (r) => r.reason ?? r.cause ?? r.message },
              ],
              s.runs,
              { empty: '(no runs yet)', attributes: { 'data-runs': s.name } },
            ),
      ),
    ),
  );
}

async function actionsView(cluster) {
  if (!cluster) return el('p', { class: 'empty' }, 'Name a cluster above to see its recent actions.');
  let state;
  try {
    state = await api(`/clusters/${enc(cluster)}`);
  } catch (error) {
    return el(
      'div',
      null,
      el('h2', null, `Recent actions in ${cluster}`),
      section('Actions', unavailable('Recent actions', error)),
    );
  }
  const automatic = (a) => a.by === 'ecs-autopilot';
  return el(
    'div',
    null,
    el('h2', null, `Recent actions in ${cluster}`),
    section(
      'Actions',
      el(
        'p',
        { class: 'muted' },
        `${state.recentActions.filter(automatic).length} by the automation, ${state.recentActions.filter((a) => !automatic(a)).length} by callers of the API.`,
      ),
      table(
        [
          { header: 'At', value: (a) => time(a.at) },
          { header: 'Action', value: (a) => a.kind },
          { header: 'By', value: (a) => (automatic(a) ? badge('automatic') : a.by) },
          { header: 'Task', value: (a) => a.taskArn && taskLink(a.taskArn) },
          { header: 'Service', value: (a) => a.service },
          { header: 'Family', value: (a) => a.family },
          { header: 'Detail', value: (a) => a.detail },
        ],
        state.recentActions,
        { empty: '(no recent actions)', attributes: { 'data-actions': '' } },
      ),
    ),
  );
}

// ---- routing: #/cluster/<name>, #/task/<id>, #/schedules, #/actions/<cluster> ----

function route(hash) {
  const [name = 'cluster', arg] = hash.replace(/^#\/?/, '').split('/');
  const value = arg === undefined ? undefined : decodeURIComponent(arg);
  if ((name === 'cluster' || name === 'actions') && value) useCluster(value);
  if (name === 'task') return { name, build: () => (value ? taskView(value) : taskPicker()) };
  if (name === 'schedules') return { name, build: schedulesView };
  if (name === 'actions') return { name, build: () => actionsView(settings.cluster) };
  return { name: 'cluster', build: () => clusterView(settings.cluster) };
}

function useCluster(cluster) {
  settings.cluster = cluster;
  document.getElementById('cluster-input').value = cluster;
  for (const a of document.querySelectorAll('nav a[data-nav="cluster"], nav a[data-nav="actions"]'))
    a.setAttribute('href', `#/${a.dataset.nav}/${enc(cluster)}`);
}

async function render() {
  const current = ++renderCount;
  const { name, build } = route(location.hash);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.dataset.nav === name);
  for (const c of charts) c.destroy();
  charts = [];
  pendingCharts = [];
  view.dataset.view = name;
  view.dataset.state = 'loading';
  view.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  let content;
  let state = 'ready';
  try {
    content = await build();
  } catch (error) {
    content = el('p', { class: 'error' }, error.message);
    state = 'error';
  }
  if (current !== renderCount) return; // a later navigation won
  view.replaceChildren(content);
  for (const { canvas, config } of pendingCharts.filter((p) => p.canvas.isConnected)) {
    charts.push(
      new Chart(canvas, {
        ...config,
        options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
      }),
    );
  }
  pendingCharts = [];
  view.dataset.state = state;
}

document.getElementById('cluster-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const cluster = document.getElementById('cluster-input').value.trim();
  if (!cluster) return;
  const current = location.hash.startsWith('#/actions') ? 'actions' : 'cluster';
  location.hash = `#/${current}/${enc(cluster)}`;
});

window.addEventListener('hashchange', render);

fetch('/config.json')
  .then((r) => r.json())
  .then((config) => {
    settings.stage = config.stage;
    document.getElementById('stage').textContent = `· stage ${config.stage}`;
    if (config.cluster) useCluster(config.cluster);
  })
  .catch(() => {
    // without it the page still works: the cluster is typed in
  })
  .finally(render);
