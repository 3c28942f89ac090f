// The skill matrix: tapping or focusing a cell reads its level description into the panel
// above the table (the title attribute covers hover; phones have no hover).
document.addEventListener("DOMContentLoaded", function () {
  var table = document.getElementById("matrix");
  var panel = document.getElementById("matrix-panel");
  var source = document.getElementById("matrix-data");
  if (!table || !panel || !source) { return; }
  var info;
  try { info = JSON.parse(source.textContent); } catch (e) { return; }

  function show(cell) {
    var skill = info.skills[cell.dataset.s] || "";
    var row = cell.parentElement.querySelector("th a");
    var who = row ? row.textContent : "";
    var level = cell.dataset.l;
    panel.textContent = "";
    var head = document.createElement("strong");
    head.textContent = who + " · " + skill;
    panel.appendChild(head);
    panel.appendChild(document.createElement("br"));
    if (!level) {
      panel.appendChild(document.createTextNode(info.labels.notRated));
      return;
    }
    var badge = document.createElement("span");
    badge.className = "level level-" + level;
    badge.textContent = level;
    panel.appendChild(badge);
    var text = " " + (info.levels[level] || "") + ": " + ((info.descriptors[cell.dataset.s] || {})[level] || "");
    panel.appendChild(document.createTextNode(text));
  }

  function handle(event) {
    var cell = event.target.closest("td[data-s]");
    if (cell && table.contains(cell)) { show(cell); }
  }
  table.addEventListener("focusin", handle);
  table.addEventListener("click", handle);
});
