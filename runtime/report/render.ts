// `luna report`: the dashboard's data as one self-contained document — JSON, or HTML with
// inline CSS and no script at all. Every value is HTML-escaped; the CSP meta tag forbids
// scripts in case a viewer is lenient.

import type { Pool } from 'mysql2/promise';
import * as q from '../dashboard/queries.ts';

export interface ReportData {
  generatedAt: string;
  overview: q.Overview;
  alerts: q.AlertRow[];
  changes: unknown[];
  hosts: Array<{ name: string; first_seen: string; last_seen: string }>;
}

export async function collectReport(pool: Pool, hours: number): Promise<ReportData> {
  const [overview, alerts, changes, hosts] = await Promise.all([
    q.overview(pool, hours),
    q.listAlerts(pool, { limit: 500 }),
    q.changes(pool, 200),
    q.hosts(pool),
  ]);
  return { generatedAt: new Date().toISOString(), overview, alerts, changes, hosts };
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(v: unknown): string {
  const s = v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v);
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}

function table(head: string[], rows: unknown[][]): string {
  return `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

export function renderHtml(d: ReportData): string {
  const open = d.overview.openAlerts.reduce((a, r) => a + r.n, 0);
  const changes = d.changes as Array<Record<string, unknown>>;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Luna report ${escapeHtml(d.generatedAt)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#1b2230}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
th,td{border-bottom:1px solid #d6dbe4;padding:.3rem .5rem;text-align:left;vertical-align:top}th{color:#5b667a;font-weight:normal}
td{word-break:break-all}</style></head><body>
<h1>Luna report</h1><p>Generated ${escapeHtml(d.generatedAt)} · window since ${escapeHtml(d.overview.since)} · ${open} open alerts · ${d.overview.hosts} hosts</p>
<h2>Open alerts by severity</h2>${table(['severity', 'open'], d.overview.openAlerts.map((r) => [r.severity, r.n]))}
<h2>Alerts</h2>${table(['time', 'severity', 'title', 'host', 'state'], d.alerts.map((a) => [a.ts, a.severity, a.title, a.host, a.state]))}
<h2>Agents</h2>${table(['agent', 'host', 'revision', 'last seen'], d.overview.agents.map((a) => [a.agent_id, a.host, a.active_revision, a.last_seen]))}
<h2>Scan changes</h2>${table(['time', 'target', 'port', 'change', 'before', 'after'], changes.map((c) => [c.ts, c.target, c.port, c.change_kind, c.before_value, c.after_value]))}
<h2>Hosts</h2>${table(['name', 'first seen', 'last seen'], d.hosts.map((h) => [h.name, h.first_seen, h.last_seen]))}
</body></html>
`;
}
