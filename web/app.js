// Luna dashboard front end. Plain DOM, no framework: every value that came from the field
// (banners, command lines, titles) is inserted with textContent or setAttribute on inert
// attributes, never as markup. The server's CSP forbids inline script as a second guard.
'use strict';

const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'];
const main = document.getElementById('main');

/** el('td', {class: 'x'}, 'text', child…): builds elements; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') node.addEventListener('click', v);
    else if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const svg = (tag, attrs) => {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
};

async function api(path, options) {
  const res = await fetch(path, { credentials: 'same-origin', ...options });
  if (res.status === 401) {
    location.href = '/login';
    throw new Error('signed out');
  }
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || res.statusText);
  return res.json();
}

const fmtTime = (t) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '');
const sev = (s) => el('span', { class: `sev sev-${SEVERITIES.includes(s) ? s : 'informational'}` }, s || '');
const table = (head, rows) => el('table', {}, el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))), el('tbody', {}, rows));

function show(...nodes) {
  main.replaceChildren(...nodes);
}

/** Stacked bars of alerts per hour and severity. */
function severityChart(points) {
  const hours = [...new Set(points.map((p) => p.hour))].sort();
  const width = 720;
  const height = 160;
  const chart = svg('svg', { class: 'chart', id: 'severity-chart', viewBox: `0 0 ${width} ${height + 20}`, width: '100%', role: 'img' });
  if (hours.length === 0) {
    const t = svg('text', { x: 10, y: 20 });
    t.textContent = 'no alerts in this window';
    chart.append(t);
    return chart;
  }
  const totals = hours.map((h) => points.filter((p) => p.hour === h).reduce((a, p) => a + p.n, 0));
  const max = Math.max(...totals, 1);
  const bw = width / hours.length;
  hours.forEach((h, i) => {
    let y = height;
    for (const s of SEVERITIES) {
      const n = points.filter((p) => p.hour === h && p.severity === s).reduce((a, p) => a + p.n, 0);
      if (!n) continue;
      const bh = (n / max) * (height - 10);
      y -= bh;
      const rect = svg('rect', { x: i * bw + 1, y, width: Math.max(1, bw - 2), height: bh, fill: `var(--${s})` });
      const title = svg('title', {});
      title.textContent = `${h} ${s}: ${n}`;
      rect.append(title);
      chart.append(rect);
    }
  });
  const label = svg('text', { x: 0, y: height + 14 });
  label.textContent = `${hours[0].slice(0, 13)}h … ${hours[hours.length - 1].slice(0, 13)}h, max ${max}/h`;
  chart.append(label);
  return chart;
}

/** A line chart of one metric series. */
function lineChart(series, key, label) {
  const width = 720;
  const height = 120;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height + 20}`, width: '100%' });
  const vals = series.map((r) => Number(r[key])).filter((v) => Number.isFinite(v));
  const title = svg('text', { x: 0, y: height + 14 });
  title.textContent = vals.length ? `${label}: last ${vals[vals.length - 1]}, max ${Math.max(...vals)}` : `${label}: no data`;
  chart.append(title);
  if (vals.length > 1) {
    const max = Math.max(...vals, 1);
    const pts = vals.map((v, i) => `${(i / (vals.length - 1)) * width},${height - (v / max) * (height - 5)}`).join(' ');
    chart.append(svg('polyline', { points: pts, fill: 'none', stroke: 'var(--accent)', 'stroke-width': 2 }));
  }
  return chart;
}

async function overview() {
  const o = await api('/api/overview?hours=48');
  const open = Object.fromEntries(o.openAlerts.map((r) => [r.severity, r.n]));
  show(
    el('div', { class: 'grid' },
      el('div', { class: 'card' }, el('h2', {}, 'Open alerts'), el('div', { class: 'big', id: 'open-count' }, String(o.openAlerts.reduce((a, r) => a + r.n, 0))),
        el('div', {}, SEVERITIES.filter((s) => open[s]).map((s) => el('span', {}, sev(s), ` ${open[s]}  `)))),
      el('div', { class: 'card' }, el('h2', {}, 'Hosts'), el('div', { class: 'big' }, String(o.hosts))),
      el('div', { class: 'card' }, el('h2', {}, 'Scan changes (48 h)'), el('div', { class: 'big' }, String(o.recentChanges)))),
    el('div', { class: 'card' }, el('h2', {}, 'Alerts by severity per hour (48 h)'), severityChart(o.alertsBySeverity)),
    el('div', { class: 'card' }, el('h2', {}, 'Agents'),
      table(['agent', 'host', 'bundle revision', 'bundle', 'last seen'],
        o.agents.map((a) => el('tr', {}, el('td', {}, a.agent_id), el('td', {}, a.host), el('td', {}, a.active_revision ?? '—'),
          el('td', { class: 'muted' }, (a.active_bundle_sha256 || '').slice(0, 12)), el('td', {}, fmtTime(a.last_seen)))))),
  );
}

async function setState(id, state) {
  await api(`/api/alerts/${id}/state`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Luna-Request': '1' }, body: JSON.stringify({ state }) });
}

function alertRow(a, refresh) {
  const actions = el('td', {},
    a.state === 'open' ? el('button', { class: 'ack', onclick: async (e) => { e.stopPropagation(); await setState(a.id, 'acknowledged'); refresh(); } }, 'Acknowledge') : null,
    a.state !== 'closed' ? el('button', { class: 'close', onclick: async (e) => { e.stopPropagation(); await setState(a.id, 'closed'); refresh(); } }, 'Close') : null);
  return el('tr', { class: 'clickable alert-row', 'data-id': a.id, 'data-state': a.state, onclick: () => a.detection_msg_id && detectionView(a.detection_msg_id) },
    el('td', {}, fmtTime(a.ts)), el('td', {}, sev(a.severity)), el('td', { class: 'title' }, a.title), el('td', {}, a.host),
    el('td', { class: 'state' }, a.state), actions);
}

async function alerts() {
  const state = el('select', { id: 'filter-state' }, ['', 'open', 'acknowledged', 'closed'].map((s) => el('option', { value: s }, s || 'any state')));
  const severity = el('select', { id: 'filter-severity' }, ['', ...SEVERITIES].map((s) => el('option', { value: s }, s || 'any severity')));
  const body = el('tbody', { id: 'alert-rows' });
  const refresh = async () => {
    const qs = new URLSearchParams();
    if (state.value) qs.set('state', state.value);
    if (severity.value) qs.set('severity', severity.value);
    const list = await api(`/api/alerts?${qs}`);
    body.replaceChildren(...list.map((a) => alertRow(a, refresh)));
  };
  state.addEventListener('change', refresh);
  severity.addEventListener('change', refresh);
  show(el('div', { class: 'filters' }, state, severity),
    el('div', { class: 'card' }, el('table', {}, el('thead', {}, el('tr', {}, ['time', 'severity', 'title', 'host', 'state', ''].map((h) => el('th', {}, h)))), body)));
  await refresh();
}

async function detectionView(msgId) {
  const d = await api(`/api/detections/${encodeURIComponent(msgId)}`);
  show(el('div', { class: 'card', id: 'detection' },
    el('h2', {}, 'Detection'),
    table(['field', 'value'], [
      ['rule', `${d.rule_id} — ${d.title}`], ['level', d.level], ['author', d.author], ['actions', d.actions],
      ['host', d.host], ['time', fmtTime(d.ts)], ['source', `${d.source_file} #${d.record}`], ['event type', d.event_type],
    ].map(([k, v]) => el('tr', {}, el('td', { class: 'muted' }, k), el('td', {}, v ?? '')))),
    el('h2', {}, 'Event'),
    el('pre', { id: 'event-json' }, JSON.stringify(d.event, null, 2))));
}

async function hosts() {
  const list = await api('/api/hosts');
  show(el('div', { class: 'card' }, el('h2', {}, 'Hosts and scan targets'),
    table(['name', 'first seen', 'last seen'], list.map((h) =>
      el('tr', { class: 'clickable', onclick: () => hostView(h.name) }, el('td', {}, h.name), el('td', {}, fmtTime(h.first_seen)), el('td', {}, fmtTime(h.last_seen)))))),
  el('div', { class: 'card' }, el('h2', {}, 'Look up a scan target'),
    (() => {
      const input = el('input', { id: 'target-name', placeholder: '127.0.0.1' });
      return el('form', { onclick: () => {} }, input, el('button', { type: 'button', onclick: () => targetView(input.value) }, 'Show'));
    })()));
}

async function hostView(name) {
  const [m, t] = await Promise.all([api(`/api/metrics?host=${encodeURIComponent(name)}&hours=48`), api(`/api/target?name=${encodeURIComponent(name)}`)]);
  show(el('div', { class: 'card' }, el('h2', {}, `Host ${name}: metrics (48 h)`),
    lineChart(m, 'cpu_pct', 'CPU %'), lineChart(m, 'disk_used_pct', 'disk used %'), lineChart(m, 'load1', 'load'), lineChart(m, 'syn_cookies_sent', 'SYN cookies sent')),
  targetPanel(t));
}

async function targetView(name) {
  show(targetPanel(await api(`/api/target?name=${encodeURIComponent(name)}`)));
}

function targetPanel(t) {
  return el('div', { class: 'card', id: 'target' }, el('h2', {}, `Open ports and services on ${t.target}`),
    table(['port', 'service', 'product', 'version', 'banner', 'seen'], t.services.map((s) =>
      el('tr', {}, el('td', {}, `${s.port}/${s.proto}`), el('td', {}, s.service ?? ''), el('td', {}, s.product ?? ''), el('td', {}, s.version ?? ''),
        el('td', {}, el('pre', { class: 'banner' }, s.banner ?? '')), el('td', {}, fmtTime(s.ts))))),
    el('h2', {}, 'Certificates'),
    table(['port', 'subject', 'issuer', 'valid until', 'fingerprint'], t.certificates.map((c) =>
      el('tr', {}, el('td', {}, c.port), el('td', {}, c.subject ?? ''), el('td', {}, c.issuer ?? ''), el('td', {}, fmtTime(c.not_after)), el('td', { class: 'muted' }, c.fingerprint.slice(0, 16))))),
    el('h2', {}, 'Port history'),
    table(['time', 'port', 'state'], t.history.map((h) => el('tr', {}, el('td', {}, fmtTime(h.ts)), el('td', {}, `${h.port}/${h.proto}`), el('td', {}, h.state)))));
}

async function changes() {
  const list = await api('/api/changes');
  show(el('div', { class: 'card' }, el('h2', {}, 'Scan changes'),
    table(['time', 'target', 'port', 'change', 'before', 'after'], list.map((c) =>
      el('tr', {}, el('td', {}, fmtTime(c.ts)), el('td', {}, c.target), el('td', {}, c.port ?? ''), el('td', {}, c.change_kind),
        el('td', {}, c.before_value ?? ''), el('td', {}, c.after_value ?? ''))))));
}

const VIEWS = { overview, alerts, hosts, changes };

function route() {
  const name = (location.hash || '#overview').slice(1);
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.view === name);
  (VIEWS[name] || overview)().catch((err) => show(el('div', { class: 'card' }, 'Error: ', err.message)));
}

function live() {
  const es = new EventSource('/api/stream');
  const dot = document.getElementById('live');
  es.onopen = () => dot.classList.add('on');
  es.onerror = () => dot.classList.remove('on');
  es.addEventListener('alert', (ev) => {
    const a = JSON.parse(ev.data);
    const rows = document.getElementById('alert-rows');
    if (rows) rows.prepend(alertRow(a, route));
    const count = document.getElementById('open-count');
    if (count && a.state === 'open') count.textContent = String(Number(count.textContent) + 1);
  });
}

window.addEventListener('hashchange', route);
route();
live();
