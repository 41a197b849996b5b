// The chosen tables of a form (CT01 item 11, eid.prefill's "eid-chosen"): add and remove
// rows in the page. Without this script the same buttons submit the form and the
// portal answers with the page changed (progressive enhancement).
"use strict";

(function () {
  function renumber(box) {
    var field = box.dataset.field;
    var rowWord = box.dataset.rowLabel;
    var removeWord = box.dataset.removeLabel;
    var rows = box.querySelectorAll("tbody tr");
    rows.forEach(function (tr, i) {
      tr.querySelectorAll("input").forEach(function (input) {
        var col = input.name.slice(input.name.lastIndexOf(".") + 1);
        input.name = field + "[" + i + "]." + col;
        var label = input.closest("td").dataset.label;
        input.setAttribute("aria-label", rowWord + " " + (i + 1) + ": " + label);
      });
      var remove = tr.querySelector("button.eid-remove");
      remove.value = field + ":remove:" + i;
      remove.textContent = removeWord + " " + (i + 1);
    });
    var empty = box.querySelector(".eid-empty");
    if (empty) { empty.hidden = rows.length > 0; }
  }

  function addRow(box, values) {
    var columns = box.querySelectorAll("thead th[data-col]");
    var tr = document.createElement("tr");
    columns.forEach(function (th) {
      var td = document.createElement("td");
      td.dataset.label = th.textContent;
      var input = document.createElement("input");
      input.type = "text";
      input.name = box.dataset.field + "[0]." + th.dataset.col;
      input.value = values[th.dataset.col] || "";
      td.appendChild(input);
      tr.appendChild(td);
    });
    var cell = document.createElement("td");
    cell.className = "eid-row-actions";
    var remove = document.createElement("button");
    remove.type = "submit";
    remove.className = "eid-remove";
    remove.name = "eid-action";
    remove.formNoValidate = true;
    cell.appendChild(remove);
    tr.appendChild(cell);
    box.querySelector("tbody").appendChild(tr);
    renumber(box);
    tr.querySelector("input").focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".eid-chosen button");
    if (!button) { return; }
    var box = button.closest(".eid-chosen");
    event.preventDefault();
    if (button.classList.contains("eid-remove")) {
      var next = button.closest("tr").nextElementSibling || button.closest("tr").previousElementSibling;
      button.closest("tr").remove();
      renumber(box);
      (next ? next.querySelector("input") : box.querySelector(".eid-add-row select, .eid-blank")).focus();
    } else if (button.classList.contains("eid-add")) {
      var option = box.querySelector("select").selectedOptions[0];
      if (option) { addRow(box, JSON.parse(option.dataset.row)); }
    } else if (button.classList.contains("eid-blank")) {
      addRow(box, {});
    }
  });
})();
