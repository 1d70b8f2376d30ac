// certkeeper dashboard: plain JavaScript over the public admin API (/v1/...), the same
// endpoints scripts use. The session cookie is HttpOnly; the CSRF token lives only in this
// page's memory and goes with every request that changes something. Every value from the
// API reaches the page through textContent or SVG attributes, never as HTML.
'use strict';

(function () {
  const PAGE_SIZE = 100;
  const TIMELINE_DAYS = 90;
  const TIMELINE_PAGE = 1000;
  const TIMELINE_MAX_PAGES = 10;
  const DAY_MS = 86400000;

  const state = {
    csrf: '',
    role: '',
    identity: '',
    cursors: [0],     // the `after` cursor of every page visited; the last is the current page
    nextAfter: null,
    query: { q: '', source: '', status: 'active' },
    loadSeq: 0,
    detailId: null,
    detailPoll: null,
  };
  // Load milestones for tests and the benchmark (ms since navigation start).
  window.ckTimings = {};
  // Content-Security-Policy violations (the end-to-end test expects none).
  window.ckCspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.ckCspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
  });

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c));
    return node;
  }

  function canAct() { return state.role === 'admin' || state.role === 'operator'; }

  // --- API --------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail || ('HTTP ' + status));
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    const resp = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    const text = await resp.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!resp.ok) {
      if (resp.status === 401 && path !== '/v1/session') showLogin('Your session ended; log in again.');
      throw new ApiError(resp.status, data && data.detail);
    }
    return data;
  }

  function query(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params)) {
      if (v !== '' && v !== null && v !== undefined) {
        parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
      }
    }
    return parts.length ? '?' + parts.join('&') : '';
  }

  // --- formatting -------------------------------------------------------------------------

  function fmtTime(iso) {
    if (!iso) return '—';
    return iso.replace('T', ' ').replace(/:\d\dZ$/, ' UTC').replace(/Z$/, ' UTC');
  }

  function fmtRelative(iso) {
    if (!iso) return '—';
    const ms = Date.parse(iso) - Date.now();
    const abs = Math.abs(ms);
    let text;
    if (abs < 3600000) text = Math.round(abs / 60000) + ' min';
    else if (abs < 2 * DAY_MS) text = Math.round(abs / 3600000) + ' h';
    else text = Math.round(abs / DAY_MS) + ' d';
    return ms >= 0 ? 'in ' + text : text + ' ago';
  }

  function urgency(cert) {
    const ms = Date.parse(cert.not_after) - Date.now();
    if (ms <= 0) return 'expired';
    if (ms < 7 * DAY_MS) return 'critical';
    if (ms < 30 * DAY_MS) return 'warning';
    return 'ok';
  }

  function sourceText(cert) {
    const names = { managed: 'ACME', ca: 'internal CA', external: 'endpoint', file: 'file' };
    return (names[cert.source] || cert.source) + (cert.managed ? ' · managed' : '');
  }

  function statusText(cert) {
    if (cert.status !== 'active') return cert.status;
    if (urgency(cert) === 'expired') return 'expired';
    return cert.state || cert.status;
  }

  // --- login ------------------------------------------------------------------------------

  function showLogin(message) {
    stopDetailPoll();
    state.csrf = '';
    $('app').hidden = true;
    $('detail').hidden = true;
    $('who').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  function enterApp(session) {
    state.csrf = session.csrf_token;
    state.role = session.role;
    state.identity = session.identity;
    $('who-name').textContent = session.identity;
    $('who-role').textContent = session.role;
    $('who').hidden = false;
    $('login').hidden = true;
    $('app').hidden = false;
    document.body.dataset.role = session.role;
    state.cursors = [0];
    loadInventory();
    loadTimeline();
    loadAlerts();
  }

  async function login(event) {
    event.preventDefault();
    const input = $('token');
    $('login-error').textContent = '';
    $('login-button').disabled = true;
    try {
      const session = await api('POST', '/v1/session', { token: input.value.trim() });
      input.value = '';
      enterApp(session);
    } catch (e) {
      $('login-error').textContent = e.status === 401 ? 'That token is not valid.' : e.message;
    } finally {
      $('login-button').disabled = false;
    }
  }

  async function logout() {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* the cookie is gone either way */ }
    showLogin('Logged out.');
  }

  // --- inventory --------------------------------------------------------------------------

  async function loadInventory() {
    const seq = ++state.loadSeq;
    const after = state.cursors[state.cursors.length - 1];
    const params = Object.assign({ limit: PAGE_SIZE, after: after || '' }, state.query);
    $('inventory-message').textContent = 'Loading…';
    let page;
    try {
      page = await api('GET', '/v1/certificates' + query(params));
    } catch (e) {
      if (seq === state.loadSeq) $('inventory-message').textContent = 'Cannot load: ' + e.message;
      return;
    }
    if (seq !== state.loadSeq) return;  // a newer search replaced this one
    renderInventory(page);
  }

  function renderInventory(page) {
    const body = $('inventory-body');
    const rows = page.certificates.map((c) => {
      const row = el('tr', {
        class: 'row urgency-' + urgency(c),
        'data-id': c.id,
        'data-name': c.name,
        tabindex: 0,
        onclick: () => openDetail(c.id),
        onkeydown: (e) => { if (e.key === 'Enter') openDetail(c.id); },
      },
      el('td', { class: 'name' }, el('span', { text: c.name }), el('small', { text: sourceText(c) })),
      el('td', { class: 'wide sans', text: (c.sans || []).join(', ') }),
      el('td', { class: 'wide', text: c.issuer }),
      el('td', { class: 'days', text: String(c.days_left) }),
      el('td', { class: 'status' }, el('span', { class: 'pill', text: statusText(c) })),
      el('td', { class: 'wide', text: fmtTime(c.last_renewal_at) }),
      el('td', { class: 'wide', text: c.next_renewal_at ? fmtRelative(c.next_renewal_at) : '—' }));
      return row;
    });
    body.replaceChildren(...rows);
    state.nextAfter = page.next_after;
    const pageNo = state.cursors.length;
    $('page-info').textContent = 'Page ' + pageNo + ' · ' + rows.length + ' shown';
    $('prev').disabled = pageNo <= 1;
    $('next').disabled = page.next_after === null || page.next_after === undefined;
    $('inventory-message').textContent = rows.length ? '' : 'No certificate matches.';
    if (!window.ckTimings.inventory) window.ckTimings.inventory = performance.now();
    window.ckTimings.lastInventory = performance.now();
    document.body.dataset.inventoryReady = String(Number(document.body.dataset.inventoryReady || 0) + 1);
  }

  let searchTimer = null;
  function onFilterChange() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.query = {
        q: $('search').value.trim(),
        source: $('filter-source').value,
        status: $('filter-status').value,
      };
      state.cursors = [0];
      loadInventory();
    }, 200);
  }

  // --- timeline ---------------------------------------------------------------------------

  async function loadTimeline() {
    const now = Date.now();
    const until = new Date(now + TIMELINE_DAYS * DAY_MS).toISOString().replace(/\.\d+Z$/, 'Z');
    const expiries = [];
    let truncated = false;
    let after = 0;
    try {
      for (let i = 0; i < TIMELINE_MAX_PAGES; i++) {
        const page = await api('GET', '/v1/certificates' + query({
          status: 'active', expiring_before: until, limit: TIMELINE_PAGE, after: after || '',
        }));
        for (const c of page.certificates) expiries.push(c);
        if (page.next_after === null) break;
        after = page.next_after;
        if (i === TIMELINE_MAX_PAGES - 1) truncated = true;
      }
    } catch (e) {
      $('timeline').replaceChildren(el('p', { class: 'muted', text: 'Cannot load: ' + e.message }));
      return;
    }
    let renewals = [];
    try {
      const managed = await api('GET', '/v1/managed');
      renewals = (managed.certificates || []).filter((m) => m.next_renewal_at);
    } catch (e) { /* a daemon without a lifecycle has no planned renewals */ }
    state.timeline = { now, expiries, renewals, truncated };
    renderTimeline();
  }

  function renderTimeline() {
    const t = state.timeline;
    if (!t) return;
    const box = $('timeline');
    const width = Math.max(box.clientWidth || 600, 300);
    const height = 160;
    const pad = { l: 28, r: 8, t: 22, b: 22 };
    const plotW = width - pad.l - pad.r;
    const plotH = height - pad.t - pad.b;
    const dayW = plotW / TIMELINE_DAYS;
    const start = t.now;
    const perDay = new Array(TIMELINE_DAYS).fill(null).map(() => ({ n: 0, worst: 'ok', names: [] }));
    const rank = { ok: 0, warning: 1, critical: 2, expired: 3 };
    for (const c of t.expiries) {
      const d = Math.floor((Date.parse(c.not_after) - start) / DAY_MS);
      if (d < 0 || d >= TIMELINE_DAYS) continue;
      const bucket = perDay[d];
      bucket.n++;
      if (bucket.names.length < 5) bucket.names.push(c.name);
      const u = urgency(c);
      if (rank[u] > rank[bucket.worst]) bucket.worst = u;
    }
    const max = Math.max(1, ...perDay.map((b) => b.n));
    const chart = svg('svg', {
      viewBox: '0 0 ' + width + ' ' + height, width, height, role: 'img',
      'aria-label': 'Expiries and planned renewals over the next ' + TIMELINE_DAYS + ' days',
      class: 'timeline-chart',
    });
    chart.append(svg('line', { x1: pad.l, y1: pad.t + plotH, x2: pad.l + plotW, y2: pad.t + plotH, class: 'axis' }));
    for (let d = 0; d <= TIMELINE_DAYS; d += 15) {
      const x = pad.l + d * dayW;
      chart.append(svg('line', { x1: x, y1: pad.t, x2: x, y2: pad.t + plotH, class: 'grid' }));
      const label = d === 0 ? 'today' : '+' + d + 'd';
      chart.append(svg('text', { x, y: height - 6, class: 'tick', 'text-anchor': d === 0 ? 'start' : 'middle' }, label));
    }
    chart.append(svg('text', { x: 2, y: pad.t + 8, class: 'tick' }, String(max)));
    perDay.forEach((b, d) => {
      if (!b.n) return;
      const h = Math.max(2, (b.n / max) * plotH);
      const bar = svg('rect', {
        x: pad.l + d * dayW + 0.5, y: pad.t + plotH - h, width: Math.max(1, dayW - 1), height: h,
        class: 'bar urgency-' + b.worst, 'data-day': d, 'data-count': b.n,
      });
      const day = new Date(start + d * DAY_MS).toISOString().slice(0, 10);
      bar.append(svg('title', {}, day + ': ' + b.n + ' expir' + (b.n === 1 ? 'y' : 'ies') +
        ' (' + b.names.join(', ') + (b.n > b.names.length ? ', …' : '') + ')'));
      chart.append(bar);
    });
    for (const m of t.renewals) {
      const d = (Date.parse(m.next_renewal_at) - start) / DAY_MS;
      if (d < 0 || d >= TIMELINE_DAYS) continue;
      const x = pad.l + d * dayW;
      const mark = svg('path', { d: 'M' + x + ' ' + (pad.t - 2) + ' l-5 -9 h10 z', class: 'renewal', 'data-name': m.name });
      mark.append(svg('title', {}, m.name + ': renewal planned ' + fmtTime(m.next_renewal_at)));
      chart.append(mark);
    }
    const children = [chart];
    if (t.truncated) children.push(el('p', { class: 'muted', text: 'Showing the first ' + t.expiries.length + ' expiries.' }));
    box.replaceChildren(...children);
    if (!window.ckTimings.timeline) window.ckTimings.timeline = performance.now();
    document.body.dataset.timelineReady = '1';
  }

  // --- alerts -----------------------------------------------------------------------------

  async function loadAlerts() {
    const box = $('alerts-body');
    let data;
    try {
      data = await api('GET', '/v1/alerts?state=open');
    } catch (e) {
      box.className = 'muted';
      box.textContent = (e.status === 404 || e.status === 501)
        ? 'Alerts unavailable on this daemon.' : 'Alerts unavailable: ' + e.message;
      box.dataset.state = 'unavailable';
      return;
    }
    const alerts = (data && data.alerts) || [];
    box.dataset.state = 'loaded';
    if (!alerts.length) {
      box.className = 'muted';
      box.textContent = 'No open alerts.';
      return;
    }
    box.className = '';
    const list = el('ul', { class: 'alerts' });
    for (const a of alerts) {
      const item = el('li', { class: 'alert severity-' + a.severity, 'data-id': a.id },
        el('span', { class: 'pill', text: a.severity }),
        el('strong', { text: a.subject }), ' ',
        el('span', { text: a.message }), ' ',
        el('small', { class: 'muted', text: 'opened ' + fmtRelative(a.opened_at) }));
      if (a.acknowledged_at) {
        item.append(' ', el('small', { text: 'acknowledged by ' + (a.acknowledged_by || '?') }));
      } else if (canAct()) {
        item.append(' ', el('button', {
          type: 'button', class: 'ack', text: 'Acknowledge',
          onclick: async (ev) => {
            ev.target.disabled = true;
            try {
              await api('POST', '/v1/alerts/' + encodeURIComponent(a.id) + '/ack', {});
              loadAlerts();
            } catch (e) {
              ev.target.disabled = false;
              ev.target.textContent = 'Acknowledge (failed: ' + e.message + ')';
            }
          },
        }));
      }
      list.append(item);
    }
    box.replaceChildren(list);
  }

  // --- detail -----------------------------------------------------------------------------

  function stopDetailPoll() {
    if (state.detailPoll) clearInterval(state.detailPoll);
    state.detailPoll = null;
  }

  async function openDetail(id) {
    stopDetailPoll();
    state.detailId = id;
    $('detail').hidden = false;
    $('detail-title').textContent = 'Loading…';
    $('detail-message').textContent = '';
    $('detail-actions').replaceChildren();
    $('detail-body').replaceChildren();
    await refreshDetail();
    $('detail-close').focus();
  }

  async function refreshDetail() {
    const id = state.detailId;
    let d;
    try {
      d = await api('GET', '/v1/certificates/' + id);
    } catch (e) {
      $('detail-title').textContent = 'Certificate ' + id;
      $('detail-message').textContent = 'Cannot load: ' + e.message;
      return null;
    }
    if (id !== state.detailId) return null;
    renderDetail(d);
    return d;
  }

  function section(title, ...content) {
    return el('section', { class: 'detail-section' }, el('h3', { text: title }), ...content);
  }

  function table(headers, rows) {
    return el('div', { class: 'table-wrap' }, el('table', { class: 'small' },
      el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { text: h })))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { text: c ?? '—' })))))));
  }

  function renderDetail(d) {
    $('detail-title').textContent = d.name;
    $('detail').dataset.id = d.id;
    const facts = el('dl', { class: 'facts' },
      el('dt', { text: 'Source' }), el('dd', { text: sourceText(d) }),
      el('dt', { text: 'Status' }), el('dd', { text: statusText(d) }),
      el('dt', { text: 'Issuer' }), el('dd', { text: d.issuer }),
      el('dt', { text: 'Serial' }), el('dd', { class: 'mono', text: d.serial }),
      el('dt', { text: 'Valid' }), el('dd', { text: fmtTime(d.not_before) + ' → ' + fmtTime(d.not_after) + ' (' + d.days_left + ' days left)' }),
      el('dt', { text: 'Last renewal' }), el('dd', { text: fmtTime(d.last_renewal_at) }),
      el('dt', { text: 'Next renewal' }), el('dd', { text: d.next_renewal_at ? fmtTime(d.next_renewal_at) + ' (' + fmtRelative(d.next_renewal_at) + ')' : '—' }));
    if (d.lifecycle && d.lifecycle.renewal_explanation) {
      facts.append(el('dt', { text: 'Why then' }), el('dd', { text: d.lifecycle.renewal_explanation }));
    }
    if (d.lifecycle && d.lifecycle.last_error) {
      facts.append(el('dt', { text: 'Last error' }), el('dd', { class: 'error', text: d.lifecycle.last_error }));
    }
    const parts = [facts];
    parts.push(section('Subject alternative names',
      el('ul', { class: 'sans' }, ...(d.sans || []).map((s) => el('li', { class: 'mono', text: s })))));
    parts.push(section('Chain', table(['Subject', 'Issuer', 'Expires', 'SHA-256 fingerprint'],
      (d.chain || []).map((c) => [c.subject, c.issuer, fmtTime(c.not_after), c.sha256_fingerprint]))));
    if (d.key) {
      parts.push(section('Key', el('dl', { class: 'facts' },
        el('dt', { text: 'Algorithm' }), el('dd', { text: d.key.algorithm + (d.key.bits ? ' (' + d.key.bits + ' bits)' : '') }),
        el('dt', { text: 'SPKI pin' }), el('dd', { class: 'mono', text: 'pin-sha256="' + d.key.spki_sha256_pin + '"' }),
        el('dt', { text: 'Signature' }), el('dd', { text: d.key.signature_algorithm }))));
    }
    if (d.pins && d.pins.pins) {
      parts.push(section('Pins', table(['Pin', 'State', 'Published', 'Active', 'Retires'],
        d.pins.pins.map((p) => [p.pin, p.state, fmtTime(p.publish_at), fmtTime(p.active_at), fmtTime(p.retire_at)]))));
    }
    if (d.deploy && d.deploy.length) {
      parts.push(section('Deploy targets', table(['Type', 'Target', 'Serial', 'Verified', 'Result'],
        d.deploy.map((t) => [t.type, t.target, t.last_deployed_serial || '—', fmtTime(t.last_verified_at), t.last_result || '—']))));
    }
    const events = el('ol', { class: 'events', id: 'detail-events' },
      ...(d.events || []).map((e) => el('li', { class: 'event kind-' + e.kind, 'data-kind': e.kind, 'data-id': e.id },
        el('time', { text: fmtTime(e.time) }), ' ', el('strong', { text: e.kind }), ' ', el('span', { text: e.message }))));
    parts.push(section('Events', (d.events || []).length ? events : el('p', { class: 'muted', text: 'No events.' })));
    $('detail-body').replaceChildren(...parts);
    renderActions(d);
  }

  function renderActions(d) {
    const box = $('detail-actions');
    if (!canAct()) {
      box.replaceChildren();
      return;
    }
    const buttons = [];
    if (d.lifecycle) {  // a managed name: renewing makes a new version of it
      buttons.push(el('button', { type: 'button', id: 'renew-now', text: 'Renew now', onclick: () => renewNow(d) }));
    }
    if (d.source === 'ca' && d.status !== 'revoked') {
      buttons.push(el('button', { type: 'button', id: 'revoke', class: 'danger', text: 'Revoke…', onclick: () => confirmRevoke(d) }));
    }
    box.replaceChildren(...buttons);
  }

  async function renewNow(d) {
    const button = $('renew-now');
    button.disabled = true;
    const known = new Set((d.events || []).map((e) => e.id));
    try {
      const r = await api('POST', '/v1/managed/' + encodeURIComponent(d.name) + '/renew', { force: true });
      $('detail-message').textContent = r.message || 'Renewal queued.';
    } catch (e) {
      $('detail-message').textContent = 'Renewal refused: ' + e.message;
      button.disabled = false;
      return;
    }
    // Renewals run in the daemon's scheduler; watch the event log until one lands.
    const started = Date.now();
    stopDetailPoll();
    state.detailPoll = setInterval(async () => {
      const fresh = await refreshDetail();
      if (!fresh) return;
      const done = (fresh.events || []).find((e) => !known.has(e.id) && (e.kind === 'renewed' || e.kind === 'renewal_failed'));
      if (done || Date.now() - started > 120000) {
        stopDetailPoll();
        const text = done ? (done.kind === 'renewed' ? 'Renewed: ' : 'Renewal failed: ') + done.message
          : 'No renewal event yet; check the event log later.';
        if (done && done.kind === 'renewed') {
          // Show the new version: the one just viewed is now superseded history.
          try {
            const current = await api('GET', '/v1/certificates' + query({ name: d.name, status: 'active', limit: 1 }));
            const next = current.certificates[0];
            if (next && next.id !== state.detailId) {
              state.detailId = next.id;
              await refreshDetail();
            }
          } catch (e) { /* keep showing the old version */ }
        }
        $('detail-message').textContent = text;
        loadInventory();
        loadTimeline();
      }
    }, 1000);
  }

  function confirmRevoke(d) {
    const reason = el('select', { id: 'revoke-reason', 'aria-label': 'Reason' },
      ...['unspecified', 'keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged']
        .map((r) => el('option', { value: r, text: r })));
    const box = el('div', { class: 'confirm', role: 'alertdialog' },
      el('p', { text: 'Revoke ' + d.name + ' (serial ' + d.serial + ')? Relying parties will reject it. This cannot be undone.' }),
      reason,
      el('button', {
        type: 'button', id: 'revoke-confirm', class: 'danger', text: 'Confirm revoke',
        onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            await api('POST', '/v1/certificates/revoke', { serial: d.serial, reason: reason.value });
            $('detail-message').textContent = 'Revoked.';
            await refreshDetail();
            loadInventory();
          } catch (e) {
            ev.target.disabled = false;
            $('detail-message').textContent = 'Revocation failed: ' + e.message;
          }
        },
      }),
      el('button', { type: 'button', text: 'Cancel', onclick: () => renderActions(d) }));
    $('detail-actions').replaceChildren(box);
  }

  function closeDetail() {
    stopDetailPoll();
    state.detailId = null;
    $('detail').hidden = true;
  }

  // --- start ------------------------------------------------------------------------------

  async function start() {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('search').addEventListener('input', onFilterChange);
    $('filter-source').addEventListener('change', onFilterChange);
    $('filter-status').addEventListener('change', onFilterChange);
    $('detail-close').addEventListener('click', closeDetail);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('detail').hidden) closeDetail(); });
    $('next').addEventListener('click', () => {
      if (state.nextAfter === null) return;
      state.cursors.push(state.nextAfter);
      loadInventory();
    });
    $('prev').addEventListener('click', () => {
      if (state.cursors.length <= 1) return;
      state.cursors.pop();
      loadInventory();
    });
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(renderTimeline, 100);
    });
    try {
      enterApp(await api('GET', '/v1/session'));
    } catch (e) {
      showLogin('');
    }
  }

  start();
})();
