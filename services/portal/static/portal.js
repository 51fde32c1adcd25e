// pmo-platform portal: the few things the server-rendered pages cannot do alone.
// Written for this project; no library. Pages work without it, only less live.
"use strict";

(function () {
  // The ranked backlog follows the rankings stream: each score change re-reads the table from
  // the portal (same origin, session cookie), so the browser never holds an API token.
  function liveBacklog(container) {
    var status = document.getElementById("live-status");
    var rowsUrl = container.getAttribute("data-rows");
    var changed = {};
    var timer = null;
    var loading = false;
    var again = false;

    function say(state, text) {
      if (!status) { return; }
      status.setAttribute("data-state", state);
      status.textContent = text;
    }

    function mark() {
      var count = 0;
      Object.keys(changed).forEach(function (id) {
        var row = container.querySelector('tr[data-demand-id="' + id + '"]');
        if (row) {
          row.classList.add("changed");
          var note = row.querySelector(".changed-note");
          if (note) { note.hidden = false; }
          count += 1;
        }
      });
      return count;
    }

    function refresh() {
      if (loading) { again = true; return; }
      loading = true;
      fetch(rowsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.redirected || !response.ok) { throw new Error("rows " + response.status); }
          return response.text();
        })
        .then(function (html) {
          container.innerHTML = html;
          var count = mark();
          changed = {};
          var time = new Date().toLocaleTimeString();
          say("live", "Live updates: ranking refreshed at " + time +
              (count ? " (" + count + " changed)" : ""));
          container.setAttribute("data-refreshed", String(Date.now()));
        })
        .catch(function () { say("down", "Live updates: could not refresh the ranking; retrying"); })
        .then(function () {
          loading = false;
          if (again) { again = false; schedule(); }
        });
    }

    function schedule() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, 400);
    }

    if (!window.EventSource) { say("down", "Live updates need a newer browser; reload to refresh."); return; }
    var source = new EventSource(container.getAttribute("data-live"));
    source.onopen = function () { say("live", "Live updates: on"); };
    source.onerror = function () { say("connecting", "Live updates: reconnecting…"); };
    source.addEventListener("score_changed", function (event) {
      try {
        var data = JSON.parse(event.data);
        if (data && data.demand_id) { changed[data.demand_id] = true; }
      } catch (error) { /* a frame we cannot read only delays the refresh */ }
      schedule();
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var backlog = document.getElementById("backlog");
    if (backlog && backlog.getAttribute("data-live")) { liveBacklog(backlog); }
  });
})();
