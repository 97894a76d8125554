// Refreshes a subscriber import's counters every two seconds while it runs; reloads the page
// when it ends (or stalls), to show the summary, the bad lines or the "Continue" button.
(function () {
  "use strict";
  var section = document.getElementById("newsletter-import-progress");
  if (!section) return;
  var url = section.getAttribute("data-progress-url");
  function active(status) { return status === "queued" || status === "running"; }
  function update() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        Object.keys(data).forEach(function (key) {
          var field = section.querySelector('[data-field="' + key + '"]');
          if (field) field.textContent = data[key];
        });
        if (!active(data.status) || data.stalled) window.location.reload();
        else window.setTimeout(update, 2000);
      });
  }
  if (active(section.getAttribute("data-status")) && !document.querySelector("[action$='/resume/']")) {
    window.setTimeout(update, 2000);
  }
})();
