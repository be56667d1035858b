// While the employee's phone rings, poll the "current caller" panel; reload the page once the caller is on the line.
(function () {
  function poll() {
    var panel = document.querySelector("#current-caller [data-poll]");
    if (!panel) return;
    fetch(panel.getAttribute("data-poll"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return setTimeout(poll, 5000);
        if (html.indexOf("data-poll") === -1) return window.location.reload();  // connected: refresh the queue too
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () { setTimeout(poll, 2000); });
})();

// The floor: the employee's own state (queue page) and the manager's floor view, polled as JSON.
(function () {
  function text(root, sel, value) { var el = root.querySelector(sel); if (el) el.textContent = value; }
  function me(panel) {
    fetch(panel.getAttribute("data-floor-me"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) {
          text(panel, "[data-floor-state]", s.shown || s.state);
          text(panel, "[data-floor-seconds]", s.seconds);
          var call = panel.querySelector("[data-floor-call]");
          call.hidden = !(s.call && s.call.case_id);
          if (!call.hidden) {
            var a = panel.querySelector("[data-floor-case]");
            a.textContent = s.call.case_id; a.href = s.case_url || "#";
            text(panel, "[data-floor-crn]", s.call.crn || "");
            text(panel, "[data-floor-who]", s.call.who || "");
            text(panel, "[data-floor-why]", s.call.why || "");
          }
        }
        setTimeout(function () { me(panel); }, 1000);
      })
      .catch(function () { setTimeout(function () { me(panel); }, 5000); });
  }
  function view(root) {
    fetch(root.getAttribute("data-floor-view"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (f) {
        if (f) {
          text(root, '[data-f="campaign"]', f.campaign);
          var inEffect = f.mode_in_effect && f.mode_in_effect !== f.mode;
          text(root, '[data-f="mode"]', f.mode + (inEffect ? " (in effect: " + f.mode_in_effect + ", nobody signed in)" : ""));
          var b = f.by_state;
          text(root, '[data-f="states"]', b["ready"] + " / " + b["on-call"] + " / " + b["wrap-up"] + " / " + b["away"]);
          text(root, '[data-f="live_answers_waiting"]', f.live_answers_waiting);
          text(root, '[data-f="inbound_waiting"]', f.inbound_waiting);
          text(root, '[data-f="in_flight"]', f.calls_in_flight + " (" + f.dial_level + " per ready employee)");
          text(root, '[data-f="abandon_percent_today"]', f.abandon_percent_today + " %");
          text(root, '[data-f="abandon_percent_30d"]', f.abandon_percent_30d + " %");
          text(root, '[data-f="occupancy_now"]', f.occupancy_now);
          text(root, '[data-f="talk_hours_today"]', f.talk_hours_today);
          var body = root.querySelector('[data-f="employees"]');
          body.textContent = "";
          f.employees.forEach(function (e) {
            var tr = document.createElement("tr");
            [e.username, e.shown || e.state, e.seconds, (e.call && e.call.case_id) || ""].forEach(function (v) {
              var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
            });
            body.appendChild(tr);
          });
        }
        setTimeout(function () { view(root); }, 2000);
      })
      .catch(function () { setTimeout(function () { view(root); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-floor-me]");
    if (panel) me(panel);
    var root = document.querySelector("[data-floor-view]");
    if (root) view(root);
  });
})();
