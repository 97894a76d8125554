// Refreshes the sending progress of a newsletter issue every two seconds while it sends.
(function () {
  "use strict";
  var section = document.getElementById("newsletter-progress");
  if (!section) return;
  var url = section.getAttribute("data-progress-url");
  function update() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        Object.keys(data).forEach(function (key) {
          var field = section.querySelector('[data-field="' + key + '"]');
          if (field) field.textContent = data[key] === null ? "–" : data[key];
        });
        if (data.status === "sending" || data.status === "scheduled") window.setTimeout(update, 2000);
      });
  }
  var status = section.getAttribute("data-status");
  if (status === "sending" || status === "scheduled") window.setTimeout(update, 2000);
})();
