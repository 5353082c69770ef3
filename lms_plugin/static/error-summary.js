// GOV.UK pattern: when a form comes back with errors, move focus to the summary at the
// top, so screen-reader and keyboard users hear what went wrong and can follow its links.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
