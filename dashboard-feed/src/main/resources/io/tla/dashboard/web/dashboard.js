// Placeholder dashboard: polls /api/status every 5 s and fills the page. Values are set with textContent only,
// so a tenant id can never inject markup.
(function () {
  'use strict';
  var REFRESH_MS = 5000;
  var inFlight = false;

  function byId(id) { return document.getElementById(id); }
  function set(id, value) { byId(id).textContent = value; }
  function count(n) { return typeof n === 'number' ? n.toLocaleString() : '\u2013'; }
  function usd(x) { return typeof x === 'number' ? x.toFixed(4) : '\u2013'; }
  function ms(x) { return typeof x === 'number' ? x.toFixed(1) : '\u2013'; }

  function render(s) {
    var t = s.today || {};
    set('today-date', t.date ? '(' + t.date + ', UTC)' : '');
    ['messages', 'replies', 'repliesPosted', 'modelCalls', 'budgetRefusals', 'failures'].forEach(function (k) {
      set(k, count(t[k]));
    });
    set('costUsd', usd(t.costUsd));
    var l = t.latencyMs || {};
    set('latency', ms(l.p50) + ' / ' + ms(l.p95));

    var body = byId('tenants');
    var rows = document.createDocumentFragment();
    (s.tenants || []).forEach(function (tenant) {
      var tr = document.createElement('tr');
      [[tenant.tenantId, ''], [count(tenant.messages), 'num'], [count(tenant.replies), 'num'],
       [usd(tenant.costUsd), 'num']].forEach(function (cell) {
        var td = document.createElement('td');
        td.textContent = cell[0];
        if (cell[1]) { td.className = cell[1]; }
        tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    if (!rows.childNodes.length) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = 4;
      td.className = 'muted';
      td.textContent = 'No messages today';
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);

    set('store', s.store || '\u2013');
    set('feed', s.feed && s.feed.ready ? 'ready' : 'not ready');
    set('eventsStored', count(s.feed && s.feed.eventsStored));
    set('lastEventAt', s.lastEventAt || 'none');
  }

  function status(text, alert) {
    var p = byId('refresh');
    p.textContent = text;
    p.className = alert ? 'alert' : 'muted';
  }

  function refresh() {
    if (inFlight) { return; }
    inFlight = true;
    fetch('../api/status', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      })
      .then(function (s) {
        render(s);
        status('Updated ' + new Date().toLocaleTimeString() + ', refreshes every 5 s', false);
      })
      .catch(function (e) {
        status('Could not load the status (' + e.message + '); retrying every 5 s', true);
      })
      .finally(function () { inFlight = false; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
