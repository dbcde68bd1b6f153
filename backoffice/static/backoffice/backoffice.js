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
