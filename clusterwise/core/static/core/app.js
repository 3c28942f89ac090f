// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  // The language picker submits itself when a language is chosen.
  document.querySelectorAll("form.js-language select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
