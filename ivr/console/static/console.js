// While the employee's phone rings, poll the "current caller" panel until the caller is on the line.
(function () {
  function poll() {
    var panel = document.querySelector("#current-caller [data-poll]");
    if (!panel) return;
    fetch(panel.getAttribute("data-poll"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) document.getElementById("current-caller").innerHTML = html;
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () { setTimeout(poll, 2000); });
})();
