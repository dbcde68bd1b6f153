/* Loaded on every admin page (UNFOLD["SCRIPTS"] in settings). */

/* The first field of the page's form has focus when it opens, so the agent types at once; after a refused
   submit, the first field in error. Lists (search box, filters, actions) and a field something else focused
   keep theirs. */
document.addEventListener("DOMContentLoaded", function () {
  if (document.activeElement && document.activeElement !== document.body) return;
  if (document.getElementById("changelist-form")) return;
  const typable =
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button])" +
    ":not([type=file]):not([readonly]):not([disabled]), select:not([disabled]), textarea:not([disabled]):not([readonly])";
  const visible = function (field) {
    return field.offsetParent !== null && getComputedStyle(field).visibility !== "hidden";
  };
  for (const form of document.forms) {
    if (form.closest("#nav-sidebar, header, nav, [role=dialog]")) continue;
    const fields = Array.from(form.querySelectorAll(typable)).filter(visible);
    if (!fields.length) continue;
    const chosen =
      fields.find(function (field) { return field.closest(".errors"); }) ||
      fields.find(function (field) { return field.autofocus; }) ||
      fields[0];
    chosen.focus();
    return;
  }
});

/* Jobs still waiting or running (backoffice/job_admin.py) ask how far they are every second and move their bar;
   when one finishes, the page reloads to show its file or its reason. */
document.addEventListener("DOMContentLoaded", function () {
  const watched = Array.from(document.querySelectorAll(".bo-job-progress[data-unfinished='1']"));
  if (!watched.length) return;
  const poll = function () {
    Promise.all(
      watched.map(function (element) {
        return fetch(element.dataset.jobStatus, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (status) {
            if (!status) return false;
            element.querySelector(".bo-job-bar-done").style.width = status.percent + "%";
            const bar = element.querySelector("[role=progressbar]");
            if (bar) bar.setAttribute("aria-valuenow", status.percent);
            element.querySelector(".bo-job-count").textContent = status.rows;
            const state = element.querySelector(".bo-job-state");
            if (state) state.textContent = status.state_label;
            return !status.unfinished;
          })
          .catch(function () { return false; });
      })
    ).then(function (finished) {
      if (finished.some(Boolean)) window.location.reload();
      else window.setTimeout(poll, 1000);
    });
  };
  window.setTimeout(poll, 1000);
});
