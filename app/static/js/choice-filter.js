// Compact checkbox lists of the event form (templates/macros/forms.html, choice_list):
// a filter input that hides the options not matching, the chosen ones named above the list,
// and the owning department kept out of the co-hosts while the department select changes.
// Without this script the lists stay plain checkboxes; the server refuses the owner as co-host.
(function () {
  "use strict";

  function fold(text) {
    return text
      .toLowerCase()
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/ß/g, "ss");
  }

  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll(".choice-list__options .kern-form-check"));
  }

  function showChosen(list) {
    var out = list.querySelector(".choice-list__chosen");
    var names = options(list)
      .filter(function (item) {
        var box = item.querySelector("input");
        return box.checked && !box.disabled;
      })
      .map(function (item) {
        return item.querySelector("label").textContent.trim();
      });
    out.textContent = names.length ? out.dataset.prefix + " " + names.join(", ") : out.dataset.none;
  }

  function applyFilter(list, query) {
    var wanted = fold(query.trim());
    var shown = 0;
    options(list).forEach(function (item) {
      var match = !wanted || fold(item.querySelector("label").textContent).indexOf(wanted) !== -1;
      item.hidden = item.hasAttribute("data-owner") || !match;
      if (!item.hidden) {
        shown += 1;
      }
    });
    list.querySelector(".choice-list__empty").hidden = shown > 0;
  }

  function followOwner(list, select, input) {
    options(list).forEach(function (item) {
      var box = item.querySelector("input");
      var owner = box.value === select.value;
      box.disabled = owner;
      if (owner) {
        box.checked = false;
        item.setAttribute("data-owner", "");
      } else {
        item.removeAttribute("data-owner");
      }
    });
    applyFilter(list, input.value);
    showChosen(list);
  }

  function setUp(list) {
    var wrapper = list.querySelector(".choice-list__filter");
    var input = wrapper.querySelector("input");
    wrapper.hidden = false;
    input.addEventListener("input", function () {
      applyFilter(list, input.value);
    });
    input.addEventListener("change", function (event) {
      event.stopPropagation(); // the filter is no form value: no conflict check for it
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // filtering, not submitting the form
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        applyFilter(list, "");
      }
    });
    list.addEventListener("change", function (event) {
      if (event.target !== input) {
        showChosen(list);
      }
    });
    var follow = list.dataset.follow && document.getElementById(list.dataset.follow);
    if (follow) {
      follow.addEventListener("change", function () {
        followOwner(list, follow, input);
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".choice-list"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
