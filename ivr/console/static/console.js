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
