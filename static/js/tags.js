// Tags input (directory/forms.py TagsWidget): each tag becomes a chip with ×; Enter, 、 or ， adds the typed
// text as a chip. Without this script the same inputs are plain text boxes, one per tag. No inline script (CSP).
(function () {
  "use strict";
  var SEPARATORS = /[、，,|\n]/;

  function chip(list, before, name, value) {
    var item = document.createElement("li");
    item.className = "tag-item tag-chip";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = name;
    hidden.value = value;
    var label = document.createElement("span");
    label.textContent = value;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "tag-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", "删除 " + value);
    remove.addEventListener("click", function () {
      item.remove();
      list.querySelector(".tag-new input").focus();
    });
    item.append(hidden, label, remove);
    list.insertBefore(item, before);
  }

  function values(list) {
    return Array.prototype.map.call(list.querySelectorAll(".tag-chip input"), function (i) { return i.value; });
  }

  function commit(list, entry, name) {
    var have = values(list);
    entry.value.split(SEPARATORS).forEach(function (part) {
      part = part.trim();
      if (part && have.indexOf(part) < 0) {
        chip(list, entry.parentNode, name, part);
        have.push(part);
      }
    });
    entry.value = "";
  }

  function enhance(box) {
    var name = box.getAttribute("data-name");
    var list = box.querySelector(".tag-items");
    var entry = box.querySelector(".tag-new input");
    Array.prototype.slice.call(list.querySelectorAll(".tag-item")).forEach(function (item) {
      var value = item.querySelector("input").value.trim();
      if (value) {
        chip(list, item, name, value);
      }
      item.remove();
    });
    // The typed text is submitted by its own name too, so a tag not yet committed is not lost.
    entry.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        commit(list, entry, name);
      } else if (event.key === "Backspace" && entry.value === "") {
        var chips = list.querySelectorAll(".tag-chip");
        if (chips.length) {
          chips[chips.length - 1].remove();
        }
      }
    });
    entry.addEventListener("input", function () {
      if (SEPARATORS.test(entry.value)) {
        commit(list, entry, name);
      }
    });
    entry.addEventListener("blur", function () { commit(list, entry, name); });
    box.classList.add("enhanced");
    box.addEventListener("click", function (event) {
      if (event.target === box || event.target === list) {
        entry.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tags]"), enhance);
  });
})();
