// The export's page follows the job without reloading: every few seconds it reads the page again and
// takes the new state, the progress bar and, once the job is over, the download link or the error.
// The state sentence is an aria-live region: a screen reader announces each change. Without JavaScript
// the page has a link to reload it.
(function () {
  "use strict";
  var INTERVAL = 2000;

  function update(fresh) {
    var job = document.getElementById("export-job");
    var state = document.getElementById("export-job-state");
    var freshState = fresh.getElementById("export-job-state");
    if (!job || !state || !freshState) {
      return false;
    }
    if (state.textContent !== freshState.textContent) {
      state.innerHTML = freshState.innerHTML;
    }
    var bar = job.querySelector("progress");
    var freshBar = fresh.querySelector("#export-job progress");
    if (bar && freshBar) {
      bar.value = freshBar.value;
      bar.textContent = freshBar.textContent;
    }
    var pending = fresh.getElementById("export-job").getAttribute("data-pending") === "true";
    if (!pending) {
      job.setAttribute("data-pending", "false");
      document.getElementById("export-job-result").replaceWith(fresh.getElementById("export-job-result"));
    }
    return pending;
  }

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (update(new DOMParser().parseFromString(html, "text/html"))) {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        window.setTimeout(poll, INTERVAL * 3);  // the server was busy or away: try again later
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var job = document.getElementById("export-job");
    if (job && job.getAttribute("data-pending") === "true") {
      window.setTimeout(poll, INTERVAL);
    }
  });
})();
