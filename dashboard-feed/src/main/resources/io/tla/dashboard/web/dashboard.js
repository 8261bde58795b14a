// The dashboard page. It reads the JSON API (docs/api.md), keeps the last good answer of every route in
// localStorage and shows it, labelled "cached N min ago", while the API cannot be reached. Values go into the
// page with textContent only, so a tenant id or an error reason can never inject markup. No inline script or
// style: the page runs under a strict Content-Security-Policy.
(function () {
  'use strict';

  var POLL_MS = 5000;            // without the event stream
  var STREAM_POLL_MS = 30000;    // with it: a safety net in case the stream stays open while the API fails
  var STREAM_RETRY_MS = 30000;   // how often to try to reopen a stream that failed
  var RETRIES = 3;               // after the first attempt
  var BACKOFF_MS = 400;          // 400, 800, 1600 ms
  var CACHE_PREFIX = 'tla-dashboard:v1:';
  var DASH = '\u2013';

  var URLS = {
    status: '../api/status',
    metrics: '../api/metrics',
    tenants: '../api/tenants',
    failed: '../api/replies/failed?limit=50',
    quality: '../api/quality?range=24h',
    readiness: '../api/readiness'
  };

  // Light instrumentation for tests and for a curious operator's console; nothing is logged.
  var stats = {
    refreshes: 0, requests: 0, retries: 0, failures: 0, notAvailable: 0, cachedServed: 0,
    streamUpdates: 0, cspViolations: 0, chartErrors: 0, lastError: null
  };
  var charts = {};
  window.tlaDashboard = { stats: stats, charts: charts, refresh: function () { return refresh(); } };

  document.addEventListener('securitypolicyviolation', function () { stats.cspViolations++; });

  // ---- fetching, retries, cache -------------------------------------------------------------------------------

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function httpError(message, status) {
    var e = new Error(message);
    e.status = status;
    e.notAvailable = status === 404;
    // Other client errors will not get better by asking again.
    e.retryable = status === undefined || status >= 500 || status === 408 || status === 429;
    return e;
  }

  function attempt(url) {
    stats.requests++;
    return fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } })
      .catch(function () { throw httpError('the API did not answer', undefined); })
      .then(function (response) {
        if (!response.ok) { throw httpError('HTTP ' + response.status, response.status); }
        return response.json();
      });
  }

  function remember(url, data, at) {
    try {
      localStorage.setItem(CACHE_PREFIX + url, JSON.stringify({ at: at, data: data }));
    } catch (ignored) { /* storage full or disabled: the page still works, just without a cache */ }
  }

  function recall(url) {
    try {
      var raw = localStorage.getItem(CACHE_PREFIX + url);
      var cached = raw ? JSON.parse(raw) : null;
      return cached && typeof cached.at === 'number' ? cached : null;
    } catch (ignored) {
      return null;
    }
  }

  /**
   * GETs url as JSON with retries and exponential backoff. Resolves {data, at, cached}: the live answer, or after
   * the last retry failed the last good answer from localStorage (cached true, at = when it was fetched). Rejects
   * when the route does not exist (error.notAvailable) or when it failed and nothing is cached.
   */
  function fetchJson(url) {
    var retry = 0;
    function go() {
      return attempt(url).catch(function (e) {
        if (!e.retryable || retry >= RETRIES) { throw e; }
        var delay = BACKOFF_MS * Math.pow(2, retry);
        retry++;
        stats.retries++;
        return sleep(delay).then(go);
      });
    }
    return go().then(function (data) {
      var at = Date.now();
      remember(url, data, at);
      return { data: data, at: at, cached: false };
    }, function (e) {
      if (e.notAvailable) {
        stats.notAvailable++;
        throw e;
      }
      stats.failures++;
      stats.lastError = e.message;
      var cached = recall(url);
      if (!cached) { throw e; }
      stats.cachedServed++;
      return { data: cached.data, at: cached.at, cached: true, error: e };
    });
  }

  // ---- formatting ---------------------------------------------------------------------------------------------

  function byId(id) { return document.getElementById(id); }
  function isNum(x) { return typeof x === 'number' && isFinite(x); }
  function count(n) { return isNum(n) ? n.toLocaleString('en') : DASH; }
  function usd(x) { return isNum(x) ? x.toFixed(4) : DASH; }
  function ms(x) { return isNum(x) ? x.toFixed(1) : DASH; }
  function pct(x) { return isNum(x) ? Math.round(x * 100) + ' %' : DASH; }
  function time(iso) { return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : DASH; }
  function minute(iso) { return typeof iso === 'string' ? iso.substring(11, 16) : ''; }

  function age(at) {
    var minutes = Math.floor((Date.now() - at) / 60000);
    if (minutes < 1) { return 'just now'; }
    if (minutes < 90) { return minutes + ' min ago'; }
    return Math.round(minutes / 60) + ' h ago';
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function messageRow(columns, text) {
    var tr = el('tr');
    var td = el('td', text, 'muted');
    td.colSpan = columns;
    tr.appendChild(td);
    return tr;
  }

  // ---- rendering ----------------------------------------------------------------------------------------------

  function tile(id, text, note) {
    var value = byId(id).querySelector('.value');
    value.textContent = text;
    if (note) { value.title = note; } else { value.removeAttribute('title'); }
  }

  function optionalCount(n) {
    return n === undefined ? ['n/a', 'not available from this API version'] : [count(n), null];
  }

  function renderStatus(s, tenantsAnswer) {
    var t = s.today || {};
    byId('today-date').textContent = t.date ? '(' + t.date + ', UTC)' : '';
    tile('tile-messages', count(t.messages));
    tile('tile-replies', count(t.replies));
    tile('tile-p95', ms(t.latencyMs && t.latencyMs.p95));
    tile('tile-cost', usd(t.costUsd));
    tile.apply(null, ['tile-fallbacks'].concat(optionalCount(t.fallbacks)));
    tile.apply(null, ['tile-budget-alerts'].concat(optionalCount(t.budgetAlerts)));
    renderSyncReplies(s.delivery);

    var budgets = {};
    ((tenantsAnswer && tenantsAnswer.tenants) || []).forEach(function (tenant) {
      budgets[tenant.tenantId] = tenant.budget ? tenant.budget.dailyUsedRatio : null;
    });
    var rows = document.createDocumentFragment();
    (s.tenants || []).forEach(function (tenant) {
      var tr = el('tr');
      tr.appendChild(el('td', tenant.tenantId));
      tr.appendChild(el('td', count(tenant.messages), 'num'));
      tr.appendChild(el('td', count(tenant.replies), 'num'));
      tr.appendChild(el('td', usd(tenant.costUsd), 'num'));
      tr.appendChild(el('td', tenantsAnswer ? pct(budgets[tenant.tenantId]) : 'n/a', 'num'));
      rows.appendChild(tr);
    });
    if (!rows.childNodes.length) { rows.appendChild(messageRow(5, 'No messages today')); }
    byId('tenants').replaceChildren(rows);

    byId('store').textContent = s.store || DASH;
    byId('feed').textContent = s.feed && s.feed.ready ? 'ready' : 'not ready';
    byId('eventsStored').textContent = count(s.feed && s.feed.eventsStored);
    byId('lastEventAt').textContent = s.lastEventAt ? time(s.lastEventAt) : 'none';
  }

  function tileDetail(id, text) {
    byId(id).querySelector('.detail').textContent = text;
  }

  // Replies to sync-reply registrations: the share Teams got in its webhook response (inside its 5 s window),
  // and both counts. No share without such replies today; n/a from an API without the delivery object.
  function renderSyncReplies(delivery) {
    var sync = delivery && delivery.syncReply;
    if (!sync) {
      tile('tile-sync-answered', 'n/a', 'not available from this API version');
      tileDetail('tile-sync-answered', 'n/a');
      return;
    }
    tile('tile-sync-answered', pct(sync.answeredShare),
      isNum(sync.answeredShare) ? null : 'no replies to sync-reply registrations today');
    tileDetail('tile-sync-answered', count(sync.answered) + ' answered \u00b7 ' + count(sync.missed) + ' posted later');
  }

  function statusUnavailable(text) {
    ['tile-messages', 'tile-replies', 'tile-p95', 'tile-cost', 'tile-fallbacks', 'tile-budget-alerts',
      'tile-sync-answered'].forEach(function (id) { tile(id, DASH, text); });
    tileDetail('tile-sync-answered', DASH);
    byId('tenants').replaceChildren(messageRow(5, text));
  }

  function renderFailed(answer) {
    var body = byId('failed-replies').tBodies[0];
    var rows = document.createDocumentFragment();
    (answer.replies || []).forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', time(r.at)));
      tr.appendChild(el('td', r.tenantId));
      tr.appendChild(el('td', r.stage));
      tr.appendChild(el('td', r.code ? r.reason + ' (' + r.code + ')' : r.reason));
      tr.appendChild(el('td', isNum(r.status) ? String(r.status) : DASH, 'num'));
      tr.appendChild(el('td', isNum(r.attempts) ? String(r.attempts) : DASH, 'num'));
      var td = el('td');
      td.appendChild(el('code', r.replayCommand || DASH));
      tr.appendChild(td);
      rows.appendChild(tr);
    });
    if (!rows.childNodes.length) { rows.appendChild(messageRow(7, 'No failed replies')); }
    body.replaceChildren(rows);
  }

  // ---- translation quality ------------------------------------------------------------------------------------

  var QUALITY_COLUMNS = 11;
  var QUALITY_RANGES = { '24h': 'the last 24 hours', '7d': 'the last 7 days', '30d': 'the last 30 days' };
  var qualityRange = '24h';

  function rate(x) { return isNum(x) ? (x * 100).toFixed(1) + ' %' : DASH; }

  function rateCell(rates, counts, name, answers) {
    var td = el('td', rate(rates && rates[name]), 'num');
    if (counts && isNum(counts[name])) { td.title = counts[name] + ' of ' + answers; }
    return td;
  }

  // One row per provider and model with checked answers; a pass rate under the threshold is marked in the row's
  // data-low-pass-rate attribute, in colour and in words.
  function renderQuality(answer) {
    var threshold = isNum(answer.passRateWarningBelow) ? answer.passRateWarningBelow : 0.9;
    var rows = document.createDocumentFragment();
    (answer.models || []).forEach(function (m) {
      if (!isNum(m.answers) || m.answers <= 0) { return; }   // only unchecked final answers: in the summary
      var tr = el('tr');
      tr.appendChild(el('td', m.provider));
      tr.appendChild(el('td', m.model ? m.model : DASH));
      tr.appendChild(el('td', count(m.answers), 'num'));
      var pass = el('td', rate(m.passRate), 'num pass-rate');
      pass.title = count(m.passed) + ' of ' + count(m.answers) + ' passed';
      if (isNum(m.passRate) && m.passRate < threshold) {
        tr.setAttribute('data-low-pass-rate', 'true');
        pass.appendChild(document.createTextNode(' '));
        pass.appendChild(el('span', 'below ' + Math.round(threshold * 100) + ' %', 'low-mark'));
      }
      tr.appendChild(pass);
      ['wrongLanguage', 'unchanged', 'glossaryMiss', 'malformed'].forEach(function (name) {
        tr.appendChild(rateCell(m.problemRates, m.problems, name, m.answers));
      });
      ['retried', 'fellBack', 'keptUnverified'].forEach(function (name) {
        tr.appendChild(rateCell(m.actionRates, m.actions, name, m.answers));
      });
      rows.appendChild(tr);
    });
    var range = QUALITY_RANGES[answer.range] || QUALITY_RANGES[qualityRange];
    if (!rows.childNodes.length) {
      rows.appendChild(messageRow(QUALITY_COLUMNS, 'Nothing checked yet: no translation was verified in ' + range + '.'));
    }
    byId('quality').tBodies[0].replaceChildren(rows);

    var t = answer.totals || {};
    var f = t.finalAnswers || {};
    byId('quality-summary').textContent = count(t.answers) + ' checked answers in ' + range + ', '
      + rate(t.passRate) + ' passed · final answers: ' + count(f.verified) + ' verified, '
      + count(f.unverified) + ' sent unverified, ' + count(f.notChecked) + ' not checked'
      + (answer.truncated ? ' · only the ' + (answer.models || []).length + ' with the most answers are listed' : '');
  }

  function renderReadiness(answer) {
    var list = byId('readiness');
    var items = document.createDocumentFragment();
    (answer.items || []).forEach(function (item) {
      var li = el('li');
      var status = ['pass', 'warn', 'fail'].indexOf(item.status) >= 0 ? item.status : 'unknown';
      li.setAttribute('data-status', status);
      // The status is written out, not only coloured.
      li.appendChild(el('span', status.toUpperCase(), 'badge badge-' + status));
      li.appendChild(el('strong', ' ' + (item.label || item.id)));
      if (item.detail) { li.appendChild(el('span', ' \u2014 ' + item.detail, 'detail')); }
      items.appendChild(li);
    });
    if (!items.childNodes.length) { items.appendChild(el('li', 'No readiness items', 'muted')); }
    list.replaceChildren(items);
    byId('readiness-summary').textContent = '(' + (answer.ready ? 'ready' : 'not ready')
      + (answer.checkedAt ? ', checked ' + time(answer.checkedAt) + ' UTC' : '') + ')';
  }

  function panelMessage(key, text) {
    if (key === 'failed') {
      byId('failed-replies').tBodies[0].replaceChildren(messageRow(7, text));
    } else if (key === 'readiness') {
      byId('readiness').replaceChildren(el('li', text, 'muted'));
      byId('readiness-summary').textContent = '';
    } else if (key === 'metrics') {
      byId('chart-tenants-text').textContent = text;
      byId('chart-providers-text').textContent = text;
    } else if (key === 'status') {
      statusUnavailable(text);
    } else if (key === 'quality') {
      byId('quality').tBodies[0].replaceChildren(messageRow(QUALITY_COLUMNS, text));
      byId('quality-summary').textContent = '';
    }
  }

  // ---- charts -------------------------------------------------------------------------------------------------

  // Distinguishable in light and dark mode, at least 3:1 against both backgrounds.
  var PALETTE = ['#0969da', '#bc4c00', '#1a7f37', '#8250df', '#bf3989', '#9a6700', '#0a7d8c', '#cf222e',
                 '#57606a', '#6e40c9'];

  function colour(i) { return PALETTE[i % PALETTE.length]; }

  function byMinute(series, pick) {
    var values = {};
    (series || []).forEach(function (p) { values[p.minute] = pick(p); });
    return values;
  }

  function sum(values) {
    return values.reduce(function (a, b) { return a + (isNum(b) ? b : 0); }, 0);
  }

  function minutesOf(m) {
    var minutes = (m.series || []).map(function (p) { return p.minute; });
    if (minutes.length) { return minutes; }
    var seen = {};
    (m.byTenant || []).concat(m.byProvider || []).forEach(function (group) {
      (group.series || []).forEach(function (p) { seen[p.minute] = true; });
    });
    return Object.keys(seen).sort();
  }

  function tenantChart(m, minutes) {
    var datasets = [];
    var summary = [];
    if (Array.isArray(m.byTenant)) {
      m.byTenant.forEach(function (t, i) {
        var messages = byMinute(t.series, function (p) { return p.messages; });
        var replies = byMinute(t.series, function (p) { return p.replies; });
        var msgData = minutes.map(function (k) { return messages[k] || 0; });
        var repData = minutes.map(function (k) { return replies[k] || 0; });
        datasets.push({ label: t.tenantId + ' messages', data: msgData, borderColor: colour(i),
                        backgroundColor: colour(i), tension: 0.2, pointRadius: 2 });
        datasets.push({ label: t.tenantId + ' replies', data: repData, borderColor: colour(i),
                        backgroundColor: colour(i), borderDash: [6, 4], tension: 0.2, pointRadius: 2 });
        summary.push(t.tenantId + ': ' + sum(msgData) + ' messages, ' + sum(repData) + ' replies');
      });
    } else {
      // An API without byTenant: all tenants together.
      var all = m.series || [];
      var msgs = all.map(function (p) { return p.messages || 0; });
      var reps = all.map(function (p) { return p.replies || 0; });
      datasets.push({ label: 'all tenants messages', data: msgs, borderColor: colour(0), backgroundColor: colour(0),
                      tension: 0.2, pointRadius: 2 });
      datasets.push({ label: 'all tenants replies', data: reps, borderColor: colour(1), backgroundColor: colour(1),
                      borderDash: [6, 4], tension: 0.2, pointRadius: 2 });
      summary.push('all tenants: ' + sum(msgs) + ' messages, ' + sum(reps) + ' replies');
    }
    return { datasets: datasets, text: summary.length ? 'Last hour \u2014 ' + summary.join('; ') + '.'
                                                      : 'No messages in the last hour.' };
  }

  function providerChart(m, minutes) {
    var datasets = [];
    var summary = [];
    if (Array.isArray(m.byProvider)) {
      m.byProvider.forEach(function (p, i) {
        var calls = byMinute(p.series, function (q) { return q.modelCalls; });
        var p95 = byMinute(p.series, function (q) { return q.latencyMs ? q.latencyMs.p95 : null; });
        var cost = sum((p.series || []).map(function (q) { return q.costUsd; }));
        var callData = minutes.map(function (k) { return calls[k] || 0; });
        var p95Data = minutes.map(function (k) { return isNum(p95[k]) ? p95[k] : null; });
        datasets.push({ type: 'bar', label: p.provider + ' model calls', data: callData, yAxisID: 'y',
                        backgroundColor: colour(i), borderColor: colour(i) });
        datasets.push({ type: 'line', label: p.provider + ' p95 latency (ms)', data: p95Data, yAxisID: 'latency',
                        borderColor: colour(i), backgroundColor: colour(i), borderDash: [6, 4], pointRadius: 2 });
        var measured = p95Data.filter(isNum);
        summary.push(p.provider + ': ' + sum(callData) + ' model calls, ' + usd(cost) + ' USD, '
                     + (measured.length ? 'worst p95 ' + ms(Math.max.apply(null, measured)) + ' ms' : 'no reply latency'));
      });
    } else {
      var all = m.series || [];
      var data = all.map(function (p) { return p.modelCalls || 0; });
      datasets.push({ type: 'bar', label: 'all providers model calls', data: data, yAxisID: 'y',
                      backgroundColor: colour(0), borderColor: colour(0) });
      summary.push('all providers: ' + sum(data) + ' model calls, '
                   + usd(m.totals ? m.totals.costUsd : null) + ' USD');
    }
    return { datasets: datasets, text: summary.length ? 'Last hour \u2014 ' + summary.join('; ') + '.'
                                                      : 'No model calls in the last hour.' };
  }

  // /api/metrics answers points in buckets of bucketSeconds (docs/api.md), each labelled with its bucket's
  // aligned UTC start, also for a partial first bucket that starts before the range: label points by that start,
  // with the date when the range spans days, and say per what the counts are.
  function bucketSeconds(m) { return m && isNum(m.bucketSeconds) && m.bucketSeconds > 0 ? m.bucketSeconds : 60; }

  function perBucket(m) {
    var s = bucketSeconds(m);
    if (s % 86400 === 0) { return s === 86400 ? 'per day' : 'per ' + (s / 86400) + ' days'; }
    if (s % 3600 === 0) { return s === 3600 ? 'per hour' : 'per ' + (s / 3600) + ' h'; }
    return s === 60 ? 'per minute' : 'per ' + Math.round(s / 60) + ' min';
  }

  function pointLabel(m) {
    var s = bucketSeconds(m);
    var span = Date.parse(m && m.to) - Date.parse(m && m.from);
    var days = isNum(span) && span > 86400000;
    return function (iso) {
      if (typeof iso !== 'string') { return ''; }
      if (s >= 86400) { return iso.substring(0, 10); }
      return days ? iso.substring(5, 10) + ' ' + minute(iso) : minute(iso);
    };
  }

  function chartOptions(withLatencyAxis, yTitle) {
    var scales = {
      x: { ticks: { maxTicksLimit: 12, autoSkip: true } },
      y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: yTitle } }
    };
    if (withLatencyAxis) {
      scales.latency = { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
                         title: { display: true, text: 'p95 ms' } };
    }
    return {
      animation: false,   // no motion, and the test sees final values at once
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: scales
    };
  }

  function draw(key, canvasId, type, built, labels, latencyAxis, yTitle) {
    byId(canvasId + '-text').textContent = built.text;
    if (typeof window.Chart !== 'function') {
      stats.chartErrors++;   // the vendored script did not load: the text alternative still tells the story
      return;
    }
    try {
      var chart = charts[key];
      if (!chart) {
        var styles = getComputedStyle(document.documentElement);
        window.Chart.defaults.color = styles.getPropertyValue('--muted').trim() || '#57606a';
        window.Chart.defaults.borderColor = styles.getPropertyValue('--line').trim() || '#d0d7de';
        chart = charts[key] = new window.Chart(byId(canvasId), {
          type: type, data: { labels: labels, datasets: built.datasets }, options: chartOptions(latencyAxis, yTitle)
        });
      } else {
        chart.data.labels = labels;
        chart.data.datasets = built.datasets;
        if (chart.options && chart.options.scales && chart.options.scales.y && chart.options.scales.y.title) {
          chart.options.scales.y.title.text = yTitle;
        }
        chart.update();
      }
    } catch (e) {
      stats.chartErrors++;
      stats.lastError = 'chart: ' + e.message;
    }
  }

  function renderMetrics(m) {
    var minutes = minutesOf(m);
    var labels = minutes.map(pointLabel(m));
    var yTitle = perBucket(m);
    draw('tenants', 'chart-tenants', 'line', tenantChart(m, minutes), labels, false, yTitle);
    draw('providers', 'chart-providers', 'bar', providerChart(m, minutes), labels, Array.isArray(m.byProvider),
         yTitle);
  }

  // ---- freshness and toast ------------------------------------------------------------------------------------

  var oldestCachedAt = null;   // null: everything on screen is live
  var offline = false;         // the last refresh could not reach the API
  var toastTimer = null;

  function renderFreshness() {
    var label = byId('freshness');
    if (oldestCachedAt !== null) {
      label.textContent = 'cached ' + age(oldestCachedAt);
      label.setAttribute('data-state', 'cached');
    } else if (offline) {
      label.textContent = 'offline, nothing cached';
      label.setAttribute('data-state', 'offline');
    } else {
      label.textContent = 'live';
      label.setAttribute('data-state', 'live');
    }
  }

  function toast(text, alert, hideAfterMs) {
    var box = byId('toast');
    if (toastTimer) { clearTimeout(toastTimer); toastTimer = null; }
    box.textContent = text;
    box.className = alert ? 'toast toast-alert' : 'toast';
    box.hidden = false;
    if (hideAfterMs) {
      toastTimer = setTimeout(function () { box.hidden = true; toastTimer = null; }, hideAfterMs);
    }
  }

  // ---- refresh loop -------------------------------------------------------------------------------------------

  var inFlight = null;
  var again = false;

  function settle(promise) {
    return promise.then(function (answer) { return { ok: true, answer: answer }; },
                        function (error) { return { ok: false, error: error }; });
  }

  function refresh() {
    if (inFlight) { again = true; return inFlight; }
    stats.refreshes++;
    var keys = Object.keys(URLS);
    inFlight = Promise.all(keys.map(function (k) { return settle(fetchJson(URLS[k])); })).then(function (results) {
      var r = {};
      keys.forEach(function (k, i) { r[k] = results[i]; });
      var cachedAt = null;
      var failure = null;
      keys.forEach(function (k) {
        var res = r[k];
        if (res.ok && res.answer.cached) {
          cachedAt = cachedAt === null ? res.answer.at : Math.min(cachedAt, res.answer.at);
          failure = failure || res.answer.error;
        } else if (!res.ok && !res.error.notAvailable) {
          failure = failure || res.error;
        }
      });

      var tenantsAnswer = r.tenants.ok ? r.tenants.answer.data : null;
      keys.forEach(function (k) {
        var res = r[k];
        if (k === 'tenants') { return; }   // shown inside the status panel's tenant table
        if (!res.ok) {
          panelMessage(k, res.error.notAvailable ? 'Not available from this API version.'
                                                 : 'Could not load (' + res.error.message + '); nothing cached yet.');
          return;
        }
        if (k === 'status') { renderStatus(res.answer.data, tenantsAnswer); }
        if (k === 'metrics') { renderMetrics(res.answer.data); }
        if (k === 'failed') { renderFailed(res.answer.data); }
        if (k === 'readiness') { renderReadiness(res.answer.data); }
        if (k === 'quality') { renderQuality(res.answer.data); }
      });

      var wasFailing = offline || oldestCachedAt !== null;
      oldestCachedAt = cachedAt;
      offline = failure !== null;
      renderFreshness();
      if (failure) {
        toast('Cannot reach the dashboard API (' + failure.message + '). '
              + (cachedAt !== null ? 'Showing data cached ' + age(cachedAt) + '. ' : 'Nothing cached yet. ')
              + 'Retrying every ' + (POLL_MS / 1000) + ' s.', true);
      } else if (wasFailing) {
        toast('The dashboard API answers again: the figures are live.', false, 6000);
      }
      byId('refresh').textContent = 'updated ' + new Date().toLocaleTimeString('en-GB');
    }).catch(function (e) {
      stats.lastError = 'render: ' + e.message;
    }).then(function () {
      inFlight = null;
      if (again) { again = false; refresh(); }
    });
    return inFlight;
  }

  var stream = null;
  var streamOpen = false;
  var streamTriedAt = 0;
  var pollTimer = null;

  function renderMode() {
    byId('update-mode').textContent = streamOpen ? 'live stream' : 'polling every ' + (POLL_MS / 1000) + ' s';
  }

  function openStream() {
    if (typeof window.EventSource !== 'function' || stream) { return; }
    streamTriedAt = Date.now();
    stream = new window.EventSource('../api/stream');
    stream.addEventListener('open', function () { streamOpen = true; renderMode(); });
    stream.addEventListener('update', function () { stats.streamUpdates++; refresh(); });
    stream.addEventListener('error', function () {
      streamOpen = false;
      renderMode();
      // A 404 or 503 closes it for good; a dropped connection reconnects by itself while we poll.
      if (stream && stream.readyState === window.EventSource.CLOSED) { stream = null; }
    });
  }

  function schedule() {
    if (pollTimer) { clearTimeout(pollTimer); }
    pollTimer = setTimeout(function () {
      if (!stream && Date.now() - streamTriedAt >= STREAM_RETRY_MS) { openStream(); }
      refresh().then(schedule);
    }, streamOpen ? STREAM_POLL_MS : POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', function () {
    renderMode();
    openStream();
    var rangeSelect = byId('quality-range');
    function chooseRange(value) {
      if (!QUALITY_RANGES[value]) { return false; }
      qualityRange = value;
      URLS.quality = '../api/quality?range=' + value;
      return true;
    }
    chooseRange(rangeSelect.value);   // a reload may keep the choice in the form
    rangeSelect.addEventListener('change', function () {
      if (chooseRange(rangeSelect.value)) { refresh(); }
    });
    refresh().then(schedule);
    // The "cached N min ago" label ages between refreshes.
    setInterval(renderFreshness, 15000);
  });
})();
