// Portcullis admin panel: one page, one view per #hash, talking to the JSON
// API under /api/. Everything that came from the network (usernames typed by
// clients, User-Agents, hosts, comments) is put into the page with
// textContent or as attribute values, never parsed as markup.
'use strict';

const state = {
  csrf: null,
  admin: null,
  role: null,
  page: null,
  timer: null,
  users: { after: null, stack: [], search: '' },
  audit: { cursor: null, stack: [], filter: {} },
  actions: { cursor: null, stack: [] },
};

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------ helpers

// An element with optional class and text; children appended in order.
function el(tag, opts, ...children) {
  const e = document.createElement(tag);
  if (opts && opts.cls) e.className = opts.cls;
  if (opts && opts.text !== undefined) e.textContent = String(opts.text);
  if (opts && opts.title) e.title = opts.title;
  for (const c of children) if (c) e.append(c);
  return e;
}

// cls 'change' marks a control that changes something (hidden from auditors).
function button(label, onclick, cls) {
  const b = el('button', { cls: cls || 'small', text: label });
  b.type = 'button';
  b.addEventListener('click', onclick);
  return b;
}

function pad(n) { return String(n).padStart(2, '0'); }

// Local time as 2026-11-25 14:03:07; 0 or missing is "never".
function fmtTime(ms) {
  if (!ms) return 'never';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function fmtDuration(s) {
  if (s < 0) s = 0;
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// datetime-local value <-> unix milliseconds
function inputToMs(v) { return v ? new Date(v).getTime() : 0; }
function msToInput(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function showStatus(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.className = isError ? 'status error' : 'status';
  s.hidden = !text;
}

// Fill a tbody with rows (arrays of cells: a string or a node), or one row
// saying there is nothing.
function fillRows(tbody, rows, columns, emptyText) {
  // each cell carries its column's name, which narrow screens show beside it
  const labels = [...tbody.closest('table').tHead.rows[0].cells].map((th) => th.textContent);
  const trs = rows.map((cells) => {
    const tr = el('tr');
    for (const [i, c] of cells.entries()) {
      const td = el('td');
      td.dataset.label = labels[i] || '';
      if (c instanceof Node) td.append(c); else td.textContent = c === undefined || c === null ? '' : String(c);
      tr.append(td);
    }
    return tr;
  });
  if (!trs.length) {
    const td = el('td', { cls: 'empty', text: emptyText });
    td.colSpan = columns;
    trs.push(el('tr', null, td));
  }
  tbody.replaceChildren(...trs);
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// Call the API; JSON in and out. A 401 means the session is gone: back to
// the login form.
async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') {
    // a file (the portal's logo) goes as its own bytes, the rest as JSON
    const raw = body instanceof Blob;
    opts.headers['X-CSRF-Token'] = state.csrf || '';
    opts.headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
    if (body !== undefined) opts.body = raw ? body : JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 && path !== '/api/login') {
    loggedOut('Your session has ended; please log in again.');
    throw new ApiError(401, 'login required');
  }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || `HTTP ${r.status}`);
  return data;
}

// Run a change, reload the view, then report the result in the status
// line (so that what it says is already on the page), unless the reload
// itself failed and said so.
async function change(method, path, body, done) {
  try {
    await api(method, path, body);
    showStatus('', false);
    await loadPage();
    if ($('status').hidden) showStatus(done, false);
    return true;
  } catch (e) {
    if (e.status !== 401) showStatus(e.message, true);
    return false;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '' && v !== 0) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ------------------------------------------------------------ dialog

// A modal dialog (keyboard: Tab stays inside, Escape cancels). Resolves to
// null when cancelled, else {password, dateMs}.
function ask(title, text, opts) {
  const d = $('dlg');
  $('dlg-title').textContent = title;
  $('dlg-text').textContent = text;
  $('dlg-password-field').hidden = !opts.password;
  $('dlg-date-field').hidden = !opts.date;
  $('dlg-password').value = '';
  $('dlg-password').required = !!opts.password;
  $('dlg-date').value = opts.dateMs ? msToInput(opts.dateMs) : '';
  $('dlg-ok').textContent = opts.ok || 'OK';
  return new Promise((resolve) => {
    const finish = (value) => {
      d.removeEventListener('close', onClose);
      $('dlg-form').removeEventListener('submit', onSubmit);
      $('dlg-cancel').removeEventListener('click', onCancel);
      resolve(value);
    };
    const onSubmit = (ev) => {
      ev.preventDefault();
      const v = { password: $('dlg-password').value, dateMs: inputToMs($('dlg-date').value) };
      d.close('ok');
      finish(v);
    };
    const onCancel = () => { d.close(''); };
    const onClose = () => { if (d.returnValue !== 'ok') finish(null); };
    d.returnValue = '';
    d.addEventListener('close', onClose);
    $('dlg-form').addEventListener('submit', onSubmit);
    $('dlg-cancel').addEventListener('click', onCancel);
    d.showModal();
    (opts.password ? $('dlg-password') : opts.date ? $('dlg-date') : $('dlg-ok')).focus();
  });
}

// ------------------------------------------------------------ dashboard

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

// Bars of failures per hour; each bar has a <title> (hover) and the whole
// chart a text summary for screen readers.
function drawChart(hourly) {
  // drawn at the container's own width, so the labels keep their size on a phone
  const W = Math.max(300, Math.round($('chart').clientWidth || 720));
  const H = W < 500 ? 180 : 220, L = 36, B = 26, T = 10, R = 6;
  const labelEvery = W < 500 ? 6 : 3;
  const counts = hourly.counts;
  // the axis top: a round number, even so that the middle line is whole
  const max = Math.max(4, ...counts);
  const step = Math.pow(10, Math.floor(Math.log10(max)));
  let top = Math.ceil(max / step) * step;
  if (top % 2) top += step;
  const bw = (W - L - R) / counts.length;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title', class: 'bars' });
  for (const f of [0, 0.5, 1]) {
    const y = T + (H - T - B) * (1 - f);
    root.append(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: L - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, Math.round(top * f)));
  }
  counts.forEach((n, i) => {
    const start = hourly.since_ms + i * hourly.bucket_ms;
    const h = (H - T - B) * n / top;
    const x = L + i * bw;
    const bar = svg('rect', { x: x + 2, y: H - B - h, width: Math.max(1, bw - 4), height: h, class: 'bar', 'data-count': n });
    bar.append(svg('title', {}, `${pad(new Date(start).getHours())}:00 – ${n} failure${n === 1 ? '' : 's'}`));
    root.append(bar);
    if (i % labelEvery === 0)
      root.append(svg('text', { x: x + bw / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, `${pad(new Date(start).getHours())}h`));
  });
  $('chart').replaceChildren(root);
  const total = counts.reduce((a, b) => a + b, 0);
  $('chart-total').textContent = `${total} failed authentication${total === 1 ? '' : 's'} in the last 24 hours; ` +
    `${counts[counts.length - 1]} in the current hour.`;
}

async function loadDashboard() {
  const s = await api('GET', '/api/stats');
  const c = s.counters;
  $('c-requests').textContent = c.requests;
  $('c-challenges').textContent = c.challenges;
  $('c-failures').textContent = c.failures;
  $('c-lockouts').textContent = c.lockouts;
  $('c-sessions').textContent = c.sessions_active;
  $('c-connections').textContent = c.connections_open;
  $('c-dropped').textContent = c.audit_dropped;
  const reasons = Object.entries(c.failures_by_reason).filter(([, n]) => n > 0)
    .sort((x, y) => y[1] - x[1]).map(([r, n]) => `${r.replace(/_/g, ' ')} ${n}`);
  $('by-reason').textContent = reasons.length ? `Failures by reason: ${reasons.join(' · ')}` : '';
  drawChart(s.hourly);
  fillRows($('top-addrs'), s.top_addrs.map((r) => [auditLink('addr', r.value), r.count]), 2, 'No failures.');
  fillRows($('top-users'), s.top_users.map((r) => [auditLink('user', r.value), r.count]), 2, 'No failures.');
  for (const tb of [$('top-addrs'), $('top-users')])
    for (const tr of tb.rows) if (tr.cells[1]) tr.cells[1].className = 'num';
}

// A link to the audit page filtered on one value (shown as text).
function auditLink(field, value) {
  const a = el('a', { text: value === '' ? '(empty)' : value });
  a.href = '#audit';
  a.addEventListener('click', () => {
    state.audit.filter = { [field]: value };
    state.audit.cursor = null;
    state.audit.stack = [];
    setAuditForm(state.audit.filter);
  });
  return a;
}

// ------------------------------------------------------------ users

const USERS_PAGE = 25;

// A user's data use against the quotas that hold her (GET /api/users
// "quota": her own, else her group policy's): the day's and the month's
// used of the size, and when each starts again; "none" without a quota.
function userQuotaUse(q) {
  if (!q) return 'none';
  const parts = [];
  for (const [name, p] of [['day', q.day], ['month', q.month]]) {
    if (p) parts.push(`${name}: ${fmtBytes(p.used)} of ${fmtBytes(p.bytes)}, resets ${fmtTime(p.resets_at * 1000)}`);
  }
  if (q.session_bytes) parts.push(`${fmtBytes(q.session_bytes)} a session`);
  return `${parts.join('; ')} (${q.from === 'policy' ? 'group policy' : 'own quota'})`;
}

async function loadUsers() {
  const u = state.users;
  const data = await api('GET', '/api/users' + query({ search: u.search, after: u.after, limit: USERS_PAGE }));
  const now = Date.now();
  fillRows($('users-rows'), data.users.map((x) => {
    const expired = x.expires_at && x.expires_at * 1000 <= now;
    const status = el('span', { cls: x.enabled && !expired ? 'ok' : 'off',
      text: !x.enabled ? 'disabled' : expired ? 'expired' : 'enabled' });
    const actions = el('div', { cls: 'actions' },
      button(x.enabled ? 'Disable' : 'Enable', () => change('POST', '/api/users/update',
        { name: x.name, enabled: !x.enabled }, `${x.enabled ? 'Disabled' : 'Enabled'} ${x.name}.`), 'small change'),
      button('Reset password', async () => {
        const v = await ask('Reset password', `New password for ${x.name}.`, { password: true, ok: 'Set password' });
        if (v) change('POST', '/api/users/update', { name: x.name, password: v.password }, `Password of ${x.name} changed.`);
      }, 'small change'),
      button('Set expiry', async () => {
        const v = await ask('Set expiry', `When the account ${x.name} stops working.`, { date: true, dateMs: x.expires_at * 1000, ok: 'Set expiry' });
        if (v) change('POST', '/api/users/update', { name: x.name, expires_at: Math.floor(v.dateMs / 1000) },
          v.dateMs ? `${x.name} expires ${fmtTime(v.dateMs)}.` : `${x.name} never expires.`);
      }, 'small change'),
      button('Groups', () => explainUser(x.name).catch((e) => showStatus(e.message, true)), 'small'),
      button('Devices', () => {
        state.sessionsUser = x.name;
        location.hash = '#sessions';
      }, 'small'),
      button('Delete', async () => {
        const v = await ask('Delete user', `Delete the user ${x.name}? This cannot be undone.`, { ok: 'Delete' });
        if (v) change('POST', '/api/users/delete', { name: x.name }, `Deleted ${x.name}.`);
      }, 'small danger change'));
    actions.dataset.user = x.name;
    return [el('span', { cls: 'name', text: x.name }), status, fmtTime(x.expires_at * 1000),
      fmtTime(x.last_login_at * 1000), x.comment, userQuotaUse(x.quota), actions];
  }), 7, u.search ? 'No user matches.' : 'No users yet.');
  $('users-next').disabled = !data.next;
  $('users-prev').disabled = !u.stack.length;
  u.next = data.next;
}

// A user's groups and the policy that applies, and why (GET
// /api/users/explain: the text `portcullis user explain` prints).
async function explainUser(name) {
  $('ue-name').value = name;
  const x = await api('GET', '/api/users/explain' + query({ name }));
  $('ue-out-name').textContent = x.name;
  $('ue-out-source').textContent = x.source ? `${x.source} (${x.detail})`
    : 'not a local user; no directory groups known (a directory user\'s show once they have logged in)';
  $('ue-out-groups').textContent = x.groups.length
    ? x.groups.map((g) => `${g.name} (${g.from})`).join(', ') : '(none)';
  $('ue-out-policy').textContent = x.policy;
  $('ue-result').hidden = false;
  $('ue-result').scrollIntoView({ block: 'nearest' });
}

// ------------------------------------------------------------ whitelist

async function loadWhitelist() {
  const data = await api('GET', '/api/whitelist');
  fillRows($('wl-rows'), data.whitelist.map((w) => [w.cidr, w.comment, fmtTime(w.created_at * 1000),
    button('Remove', async () => {
      const v = await ask('Remove from whitelist', `Remove ${w.cidr}? Clients there will need to log in.`, { ok: 'Remove' });
      if (v) change('POST', '/api/whitelist/delete', { cidr: w.cidr }, `Removed ${w.cidr}.`);
    }, 'small danger change')]), 4, 'The whitelist is empty.');
}

// ------------------------------------------------------------ groups

function policyOf(p) { return p.default ? '(default)' : p.group; }

function fillPolicyForm(p) {
  $('pf-group').value = p.default ? '' : p.group;
  $('pf-priority').value = p.priority;
  $('pf-denied').checked = p.denied;
  $('pf-windows').value = p.windows;
  $('pf-lifetime').value = p.session_lifetime;
  $('pf-idle').value = p.idle_timeout;
  $('pf-allow').value = p.allow_destinations;
  $('pf-deny').value = p.deny_destinations;
  $('pf-class').value = p.bandwidth_class;
  $('pf-quota-session').value = p.quota_session ? String(p.quota_session) : '';
  $('pf-quota-day').value = p.quota_day ? String(p.quota_day) : '';
  $('pf-quota-month').value = p.quota_month ? String(p.quota_month) : '';
  $('pf-devices').value = p.max_devices;
  $('pf-quota-class').value = p.quota_class;
  $('pf-group').focus();
}

async function loadGroups() {
  const data = await api('GET', '/api/groups');
  const byGroup = new Map(data.policies.filter((p) => !p.default).map((p) => [p.group, p]));
  fillRows($('policy-rows'), data.policies.map((p) => [policyOf(p), p.priority, p.denied ? 'no' : 'yes',
    p.windows || 'any time', `${p.session_lifetime || '-'} / ${p.idle_timeout || '-'}`,
    p.allow_destinations || 'any', p.deny_destinations || 'none', p.bandwidth_class || '-',
    [p.quota_session, p.quota_day, p.quota_month].map((q) => (q ? fmtBytes(q) : '-')).join(' / '),
    p.max_devices || 'no limit',
    // a class the configuration no longer has: [shaping] quota_class is used
    p.quota_class && p.quota_class_configured === false ? `${p.quota_class} (not configured)` : (p.quota_class || '-'),
    el('span', null, button('Edit', () => fillPolicyForm(p), 'small change'), ' ',
      button('Delete', async () => {
        const v = await ask('Delete policy', `Delete the policy of ${policyOf(p)}?`, { ok: 'Delete' });
        if (v) change('POST', '/api/policies/delete', { group: p.default ? null : p.group }, `Deleted the policy of ${policyOf(p)}.`);
      }, 'small danger change'))]), 12, 'No policies: every user may go online at any time, anywhere.');
  fillRows($('group-rows'), data.groups.map((g) => [g.name, g.members.join(', ') || '(none)',
    byGroup.has(g.name) ? `priority ${byGroup.get(g.name).priority}` : '(the default policy applies)']),
  3, 'No local groups.');
}

// ------------------------------------------------------------ sessions

// The kernel's counts of each session (bytes_out: to the client, bytes_in:
// from it), as the daemon writes them to the rows every 10 s, and the rate
// over the last minute the daemon computes (rate_out, rate_in); without
// those (an older daemon) the page, reloaded every 5 s, keeps what it saw
// for a minute and shows the rate over it.
const countSamples = new Map();

function fmtBytes(n) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

function countWithRate(x, dir, nowMs) {
  const list = countSamples.get(x.addr) || [];
  const first = list[0];
  const last = list[list.length - 1];
  const bytes = x[`bytes_${dir}`] || 0;
  const rate = x[`rate_${dir}`];
  if (typeof rate === 'number') return `${fmtBytes(bytes)} (${fmtBytes(rate)}/s)`;
  if (!first || last.t - first.t < 10000 || last[dir] < first[dir]) return fmtBytes(bytes);
  return `${fmtBytes(bytes)} (${fmtBytes(Math.round((last[dir] - first[dir]) * 1000 / (last.t - first.t)))}/s)`;
}

function noteCounts(sessions, nowMs) {
  const seen = new Set();
  for (const x of sessions) {
    const list = countSamples.get(x.addr) || [];
    list.push({ t: nowMs, in: x.bytes_in || 0, out: x.bytes_out || 0 });
    while (list.length > 1 && nowMs - list[0].t > 60000) list.shift();
    countSamples.set(x.addr, list);
    seen.add(x.addr);
  }
  for (const a of [...countSamples.keys()]) if (!seen.has(a)) countSamples.delete(a);
}

// A session's use against the quota nearest used up (the daemon's last
// check, written with its counts): "1.2 MB of 5.0 MB (day, resets ...)".
function quotaUse(x) {
  if (!x.quota_bytes) return 'none';
  if (x.quota_throttled) return `throttled: quota used (${fmtBytes(x.quota_used)} of ${fmtBytes(x.quota_bytes)}, ${x.quota_period})`;
  const resets = x.quota_resets_at ? `, resets ${fmtTime(x.quota_resets_at * 1000)}` : '';
  return `${fmtBytes(x.quota_used)} of ${fmtBytes(x.quota_bytes)} (${x.quota_period}${resets})`;
}

async function loadSessions() {
  const data = await api('GET', '/api/sessions');
  const now = Math.floor(Date.now() / 1000);
  noteCounts(data.sessions, Date.now());
  // a user's devices (the Users page's "Devices"): a device is one MAC
  // with all its addresses, or an address without one
  const who = state.sessionsUser;
  const rows = who ? data.sessions.filter((x) => x.username === who) : data.sessions;
  $('sessions-filter').hidden = !who;
  if (who) {
    const n = new Set(rows.map((x) => x.mac || x.addr)).size;
    $('sessions-filter-text').textContent = `Devices of ${who}: ${n} signed in.`;
  }
  fillRows($('sessions-rows'), rows.map((x) => [x.username, x.addr, x.mac || '(not on-link)',
    fmtTime(x.created_at * 1000), fmtDuration(now - x.last_seen_at), fmtTime(x.expires_at * 1000),
    countWithRate(x, 'out', Date.now()), countWithRate(x, 'in', Date.now()),
    x.throttled_class ? `${x.throttled_class} (quota)` : (x.bandwidth_class || '(unshaped)'), x.source || '(not recorded)', quotaUse(x),
    button('Kick', async () => {
      const v = await ask('Kick session', `End the session of ${x.username} at ${x.addr}?`, { ok: 'Kick' });
      if (v) change('POST', '/api/sessions/kick', { addr: x.addr }, `Kicked ${x.addr}.`);
    }, 'small danger change')]), 12, 'No active sessions.');
}

// ------------------------------------------------------------ audit

const AUDIT_PAGE = 50;

function readAuditForm() {
  return {
    since_ms: inputToMs($('af-since').value), until_ms: inputToMs($('af-until').value),
    user: $('af-user').value, addr: $('af-addr').value.trim(),
    reason: $('af-reason').value, mode: $('af-mode').value,
  };
}

function setAuditForm(f) {
  $('af-since').value = msToInput(f.since_ms);
  $('af-until').value = msToInput(f.until_ms);
  $('af-user').value = f.user || '';
  $('af-addr').value = f.addr || '';
  $('af-reason').value = f.reason || '';
  $('af-mode').value = f.mode || '';
}

async function loadAudit() {
  const a = state.audit;
  const params = Object.assign({ limit: AUDIT_PAGE }, a.filter, a.cursor || {});
  $('audit-csv').href = '/api/audit.csv' + query(a.filter);
  const data = await api('GET', '/api/audit' + query(params));
  fillRows($('audit-rows'), data.rows.map((r) => [fmtTime(r.time_ms),
    r.client_addr.includes(':') ? `[${r.client_addr}]:${r.client_port}` : `${r.client_addr}:${r.client_port}`,
    r.mode, r.scheme, el('span', { cls: 'name', text: r.username }), r.reason, r.count, r.host,
    el('span', { cls: 'ua', text: r.user_agent })]), 9, 'No failed authentication matches.');
  a.next = data.next;
  $('audit-next').disabled = !data.next;
  $('audit-prev').disabled = !a.stack.length;
}

// ------------------------------------------------------------ admin log

async function loadActions() {
  const a = state.actions;
  const data = await api('GET', '/api/actions' + query(Object.assign({ limit: 50 }, a.cursor || {})));
  fillRows($('actions-rows'), data.actions.map((x) => [fmtTime(x.time_ms),
    el('span', { cls: 'name', text: x.admin }), x.action, el('span', { cls: 'name', text: x.target }),
    x.detail, x.client_addr]), 6, 'No admin actions.');
  a.next = data.next;
  $('actions-next').disabled = !data.next;
  $('actions-prev').disabled = !a.stack.length;
}

// ------------------------------------------------------------ vouchers

async function loadVouchers() {
  const data = await api('GET', '/api/vouchers');
  fillRows($('voucher-rows'), data.rolls.map((r) => [r.id, r.comment, r.codes, r.unused, r.used, r.expired,
    r.revoked, fmtDuration(r.validity), r.max_devices, voucherData(r),
    r.revoked === r.codes ? '' : button('Revoke roll', async () => {
      const v = await ask('Revoke roll', `Revoke all ${r.codes} codes of roll ${r.id}? Guests using them are signed out.`, { ok: 'Revoke' });
      if (v) change('POST', '/api/vouchers/revoke', { roll: r.id }, `Revoked roll ${r.id}.`);
    }, 'small danger change')]), 11, 'No voucher rolls yet.');
}

// The data one code used against the roll's quota: the most any code used.
function voucherData(r) {
  if (!r.quota_bytes) return r.bytes_max ? `${fmtBytes(r.bytes_max)} (no quota)` : 'no quota';
  const text = `${fmtBytes(r.bytes_max)} of ${fmtBytes(r.quota_bytes)}`;
  return r.quota_reached ? `${text}; ${r.quota_reached} used up` : text;
}

// One card per code: the network's name, the code, and its QR code (drawn
// from the path of modules the API gives: no markup from the network).
function voucherSheet(roll, network) {
  const cards = roll.codes.map((c) => {
    const card = el('div', { cls: 'voucher-card' });
    if (network) card.append(el('p', { cls: 'voucher-network', text: network }));
    card.append(el('p', { cls: 'voucher-code', text: c.code }));
    if (c.qr) {
      const q = svg('svg', { viewBox: `0 0 ${c.qr.size} ${c.qr.size}`, class: 'voucher-qr', role: 'img',
        'aria-label': `QR code opening the portal with code ${c.code}` });
      q.append(svg('rect', { width: c.qr.size, height: c.qr.size, fill: '#fff' }),
        svg('path', { d: c.qr.path, fill: '#000', 'shape-rendering': 'crispEdges' }));
      card.append(q);
    }
    card.append(el('p', { cls: 'voucher-meta', text: `${roll.roll}-${c.number}` }));
    return card;
  });
  $('voucher-sheet').replaceChildren(...cards);
  $('voucher-sheet-wrap').hidden = false;
}

// ------------------------------------------------------------ terms

async function loadTerms() {
  // a front desk reads the acceptances (guests), not the terms' text
  if (state.role !== 'frontdesk') {
    const t = await api('GET', '/api/terms');
    $('terms-mode').textContent = t.mode === 'off' ? 'off: [portal] terms is not set' : `mode ${t.mode}`;
    $('terms-version').textContent = t.version ? String(t.version) : 'none';
    if (document.activeElement !== $('terms-text')) $('terms-text').value = t.text;
  }
  const data = await api('GET', '/api/terms/acceptances?limit=100');
  fillRows($('terms-rows'), data.acceptances.map((x) => [fmtTime(x.time_ms), x.client_addr,
    x.mac || '(not on-link)', String(x.version)]), 4, 'No acceptances yet.');
}

// ------------------------------------------------------------ portal look

async function loadPortal() {
  const l = await api('GET', '/api/portal');
  for (const k of ['title', 'accent', 'background', 'text'])
    if (document.activeElement !== $(`look-${k}`)) $(`look-${k}`).value = l[k];
  $('look-logo').textContent = l.logo ? l.logo_type : 'none';
}

// ------------------------------------------------------------ navigation

const loaders = {
  dashboard: loadDashboard, users: loadUsers, groups: loadGroups, whitelist: loadWhitelist,
  sessions: loadSessions, audit: loadAudit, actions: loadActions, vouchers: loadVouchers,
  terms: loadTerms, portal: loadPortal,
};

// The pages each role may open, first the one it lands on. The server
// refuses anything outside the role anyway (403); this only keeps the
// panel from offering it. An auditor sees every page and no control that
// changes something (the .change elements, hidden by style.css); a front
// desk none of the admins' own (.admin-only).
const rolePages = {
  admin: ['dashboard', 'users', 'groups', 'whitelist', 'sessions', 'vouchers', 'audit', 'actions', 'terms',
    'portal'],
  frontdesk: ['sessions', 'vouchers', 'audit', 'terms'],
  auditor: ['dashboard', 'users', 'groups', 'whitelist', 'sessions', 'vouchers', 'audit', 'actions', 'terms',
    'portal'],
};

function pagesOfRole() { return rolePages[state.role] || []; }

async function loadPage() {
  const f = loaders[state.page];
  if (!f) return;
  try {
    await f();
  } catch (e) {
    if (e.status !== 401) showStatus(e.message, true);
  }
}

function showPage(name) {
  if (name !== 'sessions') state.sessionsUser = null;
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== `page-${name}`;
  for (const a of document.querySelectorAll('nav a'))
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  state.page = name;
  clearInterval(state.timer);
  state.timer = null;
  if (name === 'dashboard' || name === 'sessions') state.timer = setInterval(loadPage, 5000);
  document.title = name === 'login' ? 'Portcullis admin' : `${document.querySelector(`nav a[data-page="${name}"]`).textContent} – Portcullis admin`;
}

function route() {
  if (!state.csrf) { showPage('login'); $('login-user').focus(); return; }
  let name = location.hash.replace(/^#/, '');
  if (!loaders[name] || !pagesOfRole().includes(name)) name = pagesOfRole()[0];
  if (!name) { loggedOut('This account has no role the panel knows.'); return; }
  showStatus('', false);
  showPage(name);
  $('main').focus({ preventScroll: true });
  loadPage();
}

function loggedIn(me) {
  state.csrf = me.csrf;
  state.admin = me.admin;
  state.role = me.role;
  document.body.dataset.role = me.role || '';
  for (const a of document.querySelectorAll('nav a'))
    a.parentElement.hidden = !pagesOfRole().includes(a.dataset.page);
  $('who').textContent = me.admin;
  $('role').textContent = me.role || '';
  $('top').hidden = false;
  route();
}

function loggedOut(message) {
  state.csrf = null;
  state.admin = null;
  state.role = null;
  delete document.body.dataset.role;
  clearInterval(state.timer);
  $('top').hidden = true;
  showStatus('', false);
  $('login-error').textContent = message || '';
  showPage('login');
  $('login-password').value = '';
  $('login-user').focus();
}

// ------------------------------------------------------------ wiring

function wire() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      const me = await api('POST', '/api/login', { username: $('login-user').value, password: $('login-password').value });
      $('login-password').value = '';
      loggedIn(me);
    } catch (e) {
      $('login-error').textContent = e.status === 401 ? 'Wrong admin name or password.' : e.message;
    }
  });
  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout'); } catch (e) { /* the session is gone either way */ }
    loggedOut('You have logged out.');
  });
  window.addEventListener('hashchange', route);

  $('voucher-create').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      count: Number($('v-count').value), validity: $('v-validity').value, alphabet: $('v-alphabet').value,
      length: Number($('v-length').value), devices: Number($('v-devices').value), comment: $('v-comment').value,
    };
    if (Number($('v-quota').value) > 0) body.quota_bytes = Math.round(Number($('v-quota').value) * 1000000);
    try {
      showStatus('Making the codes (a second or so per ten)…', false);
      const roll = await api('POST', '/api/vouchers', body);
      voucherSheet(roll, $('v-network').value);
      await loadPage();
      showStatus(`Roll ${roll.roll}: ${roll.codes.length} codes. Print them now: they cannot be shown again.`, false);
    } catch (e) {
      if (e.status !== 401) showStatus(e.message, true);
    }
  });
  $('voucher-print').addEventListener('click', () => window.print());
  $('sessions-filter-clear').addEventListener('click', () => {
    state.sessionsUser = null;
    loadPage();
  });
  $('voucher-sheet-close').addEventListener('click', () => {
    $('voucher-sheet').replaceChildren();
    $('voucher-sheet-wrap').hidden = true;
  });
  $('voucher-revoke-code').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const [roll, number] = $('v-revoke').value.split('-').map(Number);
    if (await change('POST', '/api/vouchers/revoke', { roll, number }, `Revoked code ${roll}-${number}.`))
      $('v-revoke').value = '';
  });

  $('user-create').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('nu-name').value;
    const body = { name, password: $('nu-password').value, comment: $('nu-comment').value,
      expires_at: Math.floor(inputToMs($('nu-expires').value) / 1000) };
    if (await change('POST', '/api/users', body, `Created ${name}.`)) $('user-create').reset();
  });
  $('user-explain').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await explainUser($('ue-name').value.trim());
    } catch (e) {
      showStatus(e.message, true);
    }
  });
  $('user-search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    Object.assign(state.users, { search: $('us-text').value, after: null, stack: [] });
    loadPage();
  });
  $('users-next').addEventListener('click', () => {
    const u = state.users;
    if (!u.next) return;
    u.stack.push(u.after);
    u.after = u.next;
    loadPage();
  });
  $('users-prev').addEventListener('click', () => {
    const u = state.users;
    if (!u.stack.length) return;
    u.after = u.stack.pop();
    loadPage();
  });

  $('wl-add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const cidr = $('wl-cidr').value.trim();
    if (await change('POST', '/api/whitelist', { cidr, comment: $('wl-comment').value }, `Added ${cidr}.`))
      $('wl-add').reset();
  });

  $('policy-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const group = $('pf-group').value.trim();
    const body = { group: group || null, priority: Number($('pf-priority').value),
      denied: $('pf-denied').checked, windows: $('pf-windows').value,
      session_lifetime: Number($('pf-lifetime').value), idle_timeout: Number($('pf-idle').value),
      allow_destinations: $('pf-allow').value, deny_destinations: $('pf-deny').value,
      bandwidth_class: $('pf-class').value.trim(),
      quota_session: $('pf-quota-session').value.trim() || null,
      quota_day: $('pf-quota-day').value.trim() || null,
      quota_month: $('pf-quota-month').value.trim() || null,
      max_devices: Number($('pf-devices').value),
      quota_class: $('pf-quota-class').value.trim() };
    if (await change('POST', '/api/policies', body, `Saved the policy of ${group || '(default)'}.`))
      $('policy-form').reset();
  });

  $('terms-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await change('POST', '/api/terms', { text: $('terms-text').value }, 'Saved the terms as a new version.');
  });

  $('look-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const k of ['title', 'accent', 'background', 'text']) body[k] = $(`look-${k}`).value.trim();
    await change('POST', '/api/portal', body, 'Saved the portal\'s look.');
  });
  $('logo-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = $('logo-file').files[0];
    if (!f) { showStatus('Choose an image file first.', true); return; }
    if (await change('POST', '/api/portal/logo', f, `Uploaded ${f.name} as the portal's logo.`))
      $('logo-form').reset();
  });
  $('logo-remove').addEventListener('click', () =>
    change('POST', '/api/portal/logo/delete', {}, 'Removed the portal\'s logo.'));

  $('audit-filter').addEventListener('submit', (ev) => {
    ev.preventDefault();
    Object.assign(state.audit, { filter: readAuditForm(), cursor: null, stack: [] });
    loadPage();
  });
  for (const kind of ['audit', 'actions']) {
    $(`${kind}-next`).addEventListener('click', () => {
      const s = state[kind];
      if (!s.next) return;
      s.stack.push(s.cursor);
      s.cursor = s.next;
      loadPage();
    });
    $(`${kind}-prev`).addEventListener('click', () => {
      const s = state[kind];
      if (!s.stack.length) return;
      s.cursor = s.stack.pop();
      loadPage();
    });
  }
}

async function start() {
  wire();
  try {
    const r = await fetch('/api/me', { credentials: 'same-origin' });
    if (r.ok) { loggedIn(await r.json()); return; }
  } catch (e) { /* not logged in */ }
  loggedOut('');
}

document.addEventListener('DOMContentLoaded', start);
