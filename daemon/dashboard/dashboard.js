// The liaison dashboard: reads the JSON API with the token the user pasted (kept in this tab's
// sessionStorage, sent only in the Authorization header), follows GET /v1/escalation by long
// polling and refreshes the other panels when it changes or every REFRESH_MS.
'use strict';

const REFRESH_MS = 15000;
const RETRY_MS = 3000;
const POLL_WAIT_S = 25;
const CHART_BUCKETS = 3;
const DIMENSIONS = ['country', 'region', 'account_range', 'tier', 'platform', 'app_version',
  'feature_flag'];
const TOKEN_KEY = 'liaison.token';

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  dimension: 'country',
  version: 0,
  escalation: null,
  incident: null,
  polling: false,
  refreshTimer: 0,
};

const $ = (id) => document.getElementById(id);

// Styles go through the CSSOM: the page's Content-Security-Policy refuses style attributes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name === 'width' || name === 'left') node.style[name] = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child != null) node.append(child);
  }
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function fmt(x, digits = 1) {
  if (x == null || !isFinite(x)) return '–';
  return Number(x).toLocaleString(undefined, { maximumFractionDigits: digits });
}

function clock(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function windowParam() {
  return $('window').value;
}

class AuthError extends Error {}

// Calls the API; resolves with the JSON answer, rejects with the server's error message.
async function api(path, options = {}) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method: options.method || 'GET',
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    cache: 'no-store',
  });
  let answer = null;
  try {
    answer = await resp.json();
  } catch (e) {
    answer = null;
  }
  if (resp.status === 401) throw new AuthError(answer?.error?.message || 'the token was refused');
  if (!resp.ok) {
    const err = new Error(answer?.error?.message || `HTTP ${resp.status}`);
    err.status = resp.status;
    throw err;
  }
  return answer;
}

function setConnection(text, lost) {
  const node = $('connection');
  node.textContent = text;
  node.classList.toggle('lost', !!lost);
}

function showSignin(message) {
  state.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  $('signin-panel').hidden = false;
  $('signout').hidden = true;
  $('signin-error').textContent = message || '';
  setConnection('not signed in', true);
  $('token').focus();
}

function failed(err) {
  if (err instanceof AuthError) {
    showSignin(err.message);
    return true;
  }
  return false;
}

// ---- escalation banner -------------------------------------------------------------------

function reasonText(e) {
  const where = (e.buckets || []).slice(0, 3).map((b) => `${b.dimension}=${b.value}`).join(', ');
  const more = e.buckets_total > 3 ? ` and ${e.buckets_total - 3} more` : '';
  const alerts = (e.alerts || []).map((a) => a.name).join(', ');
  const label = {
    unseen: 'tickets rising where no alert fires',
    understated: `tickets imply more than the alert says (${alerts})`,
    lingering: `alert resolved, tickets still elevated (${alerts})`,
  }[e.reason] || e.reason;
  return `${e.severity}: ${label} — ${where}${more}; ${fmt(e.observed, 0)} tickets vs ` +
    `${fmt(e.expected)} expected, ${fmt(e.accounts, 0)} accounts` +
    (e.premium_accounts ? ` (${fmt(e.premium_accounts, 0)} premium)` : '');
}

function renderBanner(esc) {
  const sev = esc.recommended_severity || 'none';
  const banner = $('banner');
  banner.className = 'banner sev-' + sev;
  $('severity').textContent = sev === 'none' ? 'No escalation' : sev;
  const open = esc.escalations || [];
  const learning = esc.detector?.learning_until;
  $('banner-summary').textContent = open.length === 0
    ? (learning ? `Learning normal volume until ${clock(learning)}; no escalation yet.`
                : 'Ticket volume matches what monitoring shows.')
    : `${open.length} open escalation${open.length > 1 ? 's' : ''}; recommended severity ${sev}.`;
  const list = $('escalations');
  list.replaceChildren();
  for (const e of open) {
    const item = el('li', { 'data-id': e.id }, reasonText(e));
    if (e.ack) {
      item.append(el('span', { class: 'badge', text: `acknowledged by ${e.ack.by}` }));
    } else {
      const button = el('button', { type: 'button', text: 'Acknowledge' });
      button.addEventListener('click', () => acknowledge(e.id, button));
      item.append(button);
    }
    list.append(item);
  }
  renderAlerts(esc.monitoring?.firing || []);
}

async function acknowledge(id, button) {
  const who = prompt('Acknowledge as (name or e-mail):');
  if (!who) return;
  button.disabled = true;
  try {
    await api(`/v1/escalations/${encodeURIComponent(id)}/ack`, { method: 'POST', body: { who } });
  } catch (err) {
    if (!failed(err)) alert(`Could not acknowledge: ${err.message}`);
    button.disabled = false;
  }
}

function renderAlerts(firing) {
  const list = $('alerts');
  list.replaceChildren();
  if (firing.length === 0) {
    list.append(el('li', { class: 'empty', text: 'No alert is firing.' }));
    return;
  }
  for (const a of firing) {
    const covers = (a.coverage || []).length ? a.coverage.join(', ') : 'every bucket';
    list.append(el('li', {}, el('strong', { text: a.name || a.fingerprint }),
      ` ${a.severity || ''} since ${clock(a.starts_at)} — covers ${covers}`));
  }
}

// Follows the escalation state: one request at a time, each held by the server until the
// version moves or POLL_WAIT_S passes.
async function pollEscalation() {
  if (state.polling) return;
  state.polling = true;
  while (state.token) {
    try {
      const esc = await api(`/v1/escalation?wait=${POLL_WAIT_S}&since=${state.version}`);
      const changed = esc.version !== state.version || state.escalation === null;
      state.version = esc.version;
      state.escalation = esc;
      renderBanner(esc);
      setConnection(`live, updated ${new Date().toLocaleTimeString()}`, false);
      if (changed) refresh();
    } catch (err) {
      if (failed(err)) break;
      setConnection(`connection lost (${err.message}); retrying`, true);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  state.polling = false;
}

// ---- bars ------------------------------------------------------------------------------

function renderTabs() {
  const tabs = $('dimensions');
  tabs.replaceChildren();
  for (const d of DIMENSIONS) {
    const button = el('button', { type: 'button', 'aria-pressed': String(d === state.dimension),
      text: d.replace('_', ' ') });
    button.addEventListener('click', () => {
      state.dimension = d;
      renderTabs();
      loadBars();
    });
    tabs.append(button);
  }
}

async function loadBars() {
  const answer = await api(`/v1/buckets?dimension=${state.dimension}&window=${windowParam()}&limit=12`);
  const list = $('bars');
  list.replaceChildren();
  const buckets = answer.buckets || [];
  if (buckets.length === 0) {
    list.append(el('li', { class: 'empty', text: 'No tickets in this window.' }));
    return;
  }
  const top = Math.max(...buckets.map((b) => Math.max(b.count, b.expected || 0)), 1);
  for (const b of buckets) {
    const track = el('div', { class: 'track', role: 'img',
      'aria-label': `${b.count} observed, ${fmt(b.expected)} expected` });
    track.append(el('div', { class: 'fill', width: `${(100 * b.count) / top}%` }));
    if (b.expected != null) {
      track.append(el('div', { class: 'mark', left: `${(100 * b.expected) / top}%` }));
    }
    const figures = el('div', { class: 'figures' },
      `${fmt(b.count, 0)} vs ${fmt(b.expected)} expected` +
      (b.ratio != null ? ` (${fmt(b.ratio)}×)` : ''));
    if (b.alarming) figures.append(el('span', { class: 'badge alarming', text: '▲ alarming' }));
    if (b.covered_by_monitoring) figures.append(el('span', { class: 'badge covered', text: 'covered by monitoring' }));
    list.append(el('li', { 'data-value': b.value },
      el('span', { class: 'label', title: b.value, text: b.value }), track, figures));
  }
}

// ---- charts ----------------------------------------------------------------------------

// The buckets to chart: those of the open escalations, largest excess first; without any,
// the alarming (else largest) values of the selected dimension.
async function chartTargets() {
  const seen = new Set();
  const targets = [];
  const add = (dimension, value) => {
    const key = dimension + ':' + value;
    if (!seen.has(key) && targets.length < CHART_BUCKETS) {
      seen.add(key);
      targets.push({ dimension, value });
    }
  };
  for (const e of state.escalation?.escalations || []) {
    for (const b of e.buckets || []) add(b.dimension, b.value);
  }
  if (targets.length < CHART_BUCKETS) {
    const answer = await api(`/v1/buckets?dimension=${state.dimension}&window=1h&limit=${CHART_BUCKETS}`);
    for (const b of answer.buckets || []) add(state.dimension, b.value);
  }
  return targets;
}

function drawChart(series, events) {
  const W = 480, H = 170, L = 34, R = 8, T = 10, B = 22;
  const points = series.points || [];
  const t0 = Date.parse(series.from), t1 = Date.parse(series.to);
  const top = Math.max(1, ...points.map((p) => Math.max(p.count, p.expected || 0)));
  const x = (t) => L + ((W - L - R) * (t - t0)) / Math.max(1, t1 - t0);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `${series.dimension} ${series.value}: tickets and baseline over time` });
  chart.append(svg('line', { class: 'axis', x1: L, y1: y(0), x2: W - R, y2: y(0) }));
  const label = (text, px, py, anchor) => {
    const node = svg('text', { x: px, y: py, 'text-anchor': anchor || 'start' });
    node.textContent = text;
    chart.append(node);
  };
  label(fmt(top, 0), L - 4, T + 8, 'end');
  label('0', L - 4, y(0), 'end');
  label(clock(series.from), L, H - 6);
  label(clock(series.to), W - R, H - 6, 'end');
  const path = (key) => points.filter((p) => p[key] != null)
    .map((p, i) => `${i ? 'L' : 'M'}${x(Date.parse(p.t)).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
  chart.append(svg('path', { class: 'expected', d: path('expected') }));
  chart.append(svg('path', { class: 'observed', d: path('count') }));
  for (const ev of events) {
    const t = Date.parse(ev.at);
    if (t < t0 || t > t1) continue;
    const line = svg('line', { class: ev.status === 'firing' ? 'fired' : 'resolved',
      x1: x(t), x2: x(t), y1: T, y2: y(0) });
    const title = svg('title');
    title.textContent = `${ev.name || ev.fingerprint} ${ev.status === 'firing' ? 'fired' : 'resolved'} at ${clock(ev.at)}`;
    line.append(title);
    chart.append(line);
  }
  return chart;
}

async function loadCharts() {
  const [targets, alerts] = await Promise.all([chartTargets(), api('/v1/alerts?from=-6h')]);
  const figures = await Promise.all(targets.map(async (t) => {
    const series = await api(`/v1/series?dimension=${t.dimension}&value=${encodeURIComponent(t.value)}` +
      '&from=-6h&step=5m');
    const events = (alerts.events || []).filter((ev) => {
      const a = (alerts.alerts || []).find((x) => x.fingerprint === ev.fingerprint);
      const coverage = a?.coverage || [];
      return coverage.length === 0 || coverage.includes(`${t.dimension}:${t.value}`);
    });
    return el('figure', { class: 'chart', 'data-bucket': `${t.dimension}:${t.value}` },
      el('figcaption', { text: `${t.dimension} = ${t.value}` }), drawChart(series, events));
  }));
  const box = $('charts');
  box.replaceChildren(...figures);
  if (figures.length === 0) box.append(el('p', { class: 'empty', text: 'Nothing to chart yet.' }));
}

// ---- hotspots --------------------------------------------------------------------------

async function loadHotspots() {
  const answer = await api(`/v1/hotspots?window=${windowParam()}&limit=5`);
  const body = $('hotspots');
  body.replaceChildren();
  for (const h of answer.hotspots || []) {
    const combo = Object.entries(h.values).map(([d, v]) => `${d}=${v}`).join(', ');
    body.append(el('tr', {}, el('td', { text: combo }), el('td', { class: 'num', text: fmt(h.observed, 0) }),
      el('td', { class: 'num', text: fmt(h.expected) }),
      el('td', { class: 'num', text: `${fmt(100 * h.share, 0)}%` })));
  }
  if (body.children.length === 0) {
    body.append(el('tr', {}, el('td', { class: 'empty', colspan: '4', text: 'Nothing stands out.' })));
  }
}

// ---- incident ---------------------------------------------------------------------------

// The decision log of the newest incident that is not closed.
async function loadIncident() {
  const list = await api('/v1/incidents');
  const current = (list.incidents || []).find((i) => i.status !== 'closed');
  const log = $('decisions');
  const form = $('decision');
  if (!current) {
    state.incident = null;
    $('incident-summary').textContent = 'No open incident. Open one with POST /v1/incidents or liaisonctl incident open.';
    log.replaceChildren();
    form.hidden = true;
    renderRoles(null);
    return;
  }
  const answer = await api(`/v1/incidents/${current.id}`);
  const inc = answer.incident;
  state.incident = inc.id;
  const roles = [inc.commander && `commander ${inc.commander}`, inc.liaison && `liaison ${inc.liaison}`]
    .filter(Boolean).join(', ');
  $('incident-summary').textContent =
    `#${inc.id} ${inc.title} — ${inc.severity}, ${inc.status} since ${clock(inc.opened)}` +
    (roles ? `; ${roles}` : '');
  renderRoles(answer.roles || []);
  const decisions = (answer.entries || []).filter((e) => e.kind === 'decision').reverse();
  log.replaceChildren(...decisions.map((e) => {
    const d = e.detail || {};
    const meta = `${clock(e.at)} · ${e.who} · ${d.channel || ''}` +
      (e.recorded_later ? ` · recorded later, at ${clock(e.recorded_at)}` : '') +
      (e.corrects ? ` · corrects entry ${e.corrects}` : '');
    return el('li', { 'data-entry': String(e.id) }, el('strong', { text: d.what || '' }),
      d.why ? ` — ${d.why}` : '', el('div', { class: 'meta', text: meta }));
  }));
  if (decisions.length === 0) log.append(el('li', { class: 'empty', text: 'No decision recorded yet.' }));
  form.hidden = false;
}

async function recordDecision(ev) {
  ev.preventDefault();
  const form = ev.target;
  const status = $('decision-status');
  if (state.incident == null) return;
  const body = {
    who: form.who.value.trim(),
    channel: form.channel.value,
    what: form.what.value.trim(),
  };
  if (form.why.value.trim()) body.why = form.why.value.trim();
  form.querySelector('button[type=submit]').disabled = true;
  try {
    await api(`/v1/incidents/${state.incident}/decisions`, { method: 'POST', body });
    status.textContent = 'Decision recorded.';
    form.what.value = '';
    form.why.value = '';
    await loadIncident();
  } catch (err) {
    if (!failed(err)) status.textContent = `Not recorded: ${err.message}`;
  } finally {
    form.querySelector('button[type=submit]').disabled = false;
  }
}

// ---- refresh ---------------------------------------------------------------------------

async function refresh() {
  clearTimeout(state.refreshTimer);
  const results = await Promise.allSettled([loadBars(), loadCharts(), loadHotspots(), loadIncident()]);
  for (const r of results) {
    if (r.status === 'rejected' && !failed(r.reason)) {
      setConnection(`some panels could not load: ${r.reason.message}`, true);
    }
  }
  if (state.token) state.refreshTimer = setTimeout(refresh, REFRESH_MS);
}

function start() {
  $('signin-panel').hidden = true;
  $('signout').hidden = false;
  setConnection('connecting…', false);
  state.escalation = null;
  pollEscalation();
}

function init() {
  renderTabs();
  $('signin').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    $('token').value = '';
    sessionStorage.setItem(TOKEN_KEY, state.token);
    start();
  });
  $('signout').addEventListener('click', () => showSignin(''));
  $('window').addEventListener('change', refresh);
  $('wall').addEventListener('click', () => {
    const on = document.body.classList.toggle('wall');
    $('wall').setAttribute('aria-pressed', String(on));
  });
  $('decision').addEventListener('submit', recordDecision);
  if (state.token) start();
  else showSignin('');
}

document.addEventListener('DOMContentLoaded', init);
