// The desk's safety net around htmx (our own code, not vendored). A failure must never leave
// an old answer on screen: a new submit clears the card at once, and anything but one of our
// own answer cards (no connection, a timeout, a proxy's 413 or 502) shows NOT DECIDED.
(function () {
  "use strict";
  var CARD_HEADER = "X-Sanctuarygate-Card";

  function answer() { return document.getElementById("answer"); }

  // The words are the page's own (data-* on #answer, in the page's language); English if absent.
  function words(name, fallback) {
    var box = answer();
    return (box && box.getAttribute("data-" + name)) || fallback;
  }

  // Only the form's own request (not the agency box's suggestions, which live inside it).
  // htmx fires beforeSwap on the target (#answer), so the requester is requestConfig.elt.
  function fromDesk(event) {
    var d = event.detail || {};
    var elt = (d.requestConfig && d.requestConfig.elt) || d.elt;
    return !!(elt && elt.matches && elt.matches("form.desk-form"));
  }

  function notDecided(why) {
    var box = answer();
    if (!box) { return; }
    box.innerHTML = "";
    var card = document.createElement("article");
    card.className = "card card-problem";
    card.id = "answer-card";
    card.tabIndex = -1;
    card.setAttribute("role", "alert");
    var title = document.createElement("h2");
    title.className = "headline";
    title.textContent = words("not-decided", "NOT DECIDED — could not get an answer; do not act");
    var detail = document.createElement("p");
    detail.className = "problem-detail";
    detail.textContent = why;
    var must = document.createElement("p");
    must.className = "must";
    must.textContent = words("must", "Nothing was decided. Do not do what is asked. Try again, " +
                             "or call your supervisor.");
    card.appendChild(title);
    card.appendChild(detail);
    card.appendChild(must);
    box.appendChild(card);
    card.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!fromDesk(event)) { return; }
    var box = answer();
    if (box) {
      box.innerHTML = "";
      var pending = document.createElement("p");
      pending.className = "placeholder";
      pending.id = "answer-pending";
      pending.setAttribute("role", "status");
      pending.textContent = words("pending", "Deciding… the old answer is cleared; wait for the new one.");
      box.appendChild(pending);
    }
    markInvalid(event.target.closest ? event.target.closest("form") : null, {});
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!fromDesk(event)) { return; }
    var xhr = event.detail.xhr;
    if (xhr.getResponseHeader(CARD_HEADER) === "1") {
      event.detail.shouldSwap = true;   // our own card, whatever its status (422, 413, 500)
      event.detail.isError = false;
      return;
    }
    event.detail.shouldSwap = false;
    notDecided(words("status", "The server answered {status} without a decision.")
               .replace("{status}", (xhr.status + " " + (xhr.statusText || "")).trim()));
  });

  // Show only the fields the chosen action can use; with no action chosen (or without
  // JavaScript) every field shows. Hidden fields are still sent: blank means "not known".
  function showFieldsFor(form) {
    var action = form.querySelector("#action");
    var types = JSON.parse(form.getAttribute("data-action-types") || "{}");
    var chosen = action && action.value;
    var wanted = chosen ? (types[chosen] || []).concat(["action:" + chosen]) : null;
    form.querySelectorAll("[data-for]").forEach(function (elt) {
      var tokens = elt.getAttribute("data-for").split(" ");
      elt.hidden = wanted !== null && !tokens.some(function (t) { return wanted.indexOf(t) >= 0; });
    });
  }

  // The property picker offers the chosen place's property only (without JavaScript every
  // place's is listed under its name); a pick from another place is cleared.
  function showPropertyOf(form) {
    var place = form.querySelector("#profile");
    var picker = form.querySelector("#property_id");
    if (!place || !picker) { return; }
    picker.querySelectorAll("optgroup[data-place]").forEach(function (group) {
      group.hidden = group.getAttribute("data-place") !== place.value;
    });
    var picked = picker.selectedOptions[0];
    if (picked && picked.parentElement.hidden) { picker.value = ""; }
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "action" && event.target.form) {
      showFieldsFor(event.target.form);
    }
    if (event.target && event.target.id === "profile" && event.target.form) {
      showPropertyOf(event.target.form);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("desk-form");
    if (form) { showFieldsFor(form); showPropertyOf(form); }
  });

  // A suggestion picked on the problem card also fills the agency box for the next question.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("button[name=agency_pick]");
    var box = document.getElementById("agency");
    if (pick && box) { box.value = pick.value; }
  });

  // The inputs a problem card names are marked invalid and point at its error lines (the
  // page without JavaScript is rendered so); a new request clears the marks.
  function markInvalid(form, invalid) {
    if (!form) { return; }
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      var kept = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id.indexOf("error-") !== 0;
      });
      if (kept.length) { input.setAttribute("aria-describedby", kept.join(" ")); }
      else { input.removeAttribute("aria-describedby"); }
    });
    Object.keys(invalid).forEach(function (name) {
      var input = form.querySelector("#" + CSS.escape(name));
      if (!input) { return; }
      input.setAttribute("aria-invalid", "true");
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      input.setAttribute("aria-describedby", ids.concat(invalid[name].split(" ")).join(" "));
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!fromDesk(event)) { return; }
    var card = document.getElementById("answer-card");
    var data = card && card.getAttribute("data-invalid");
    markInvalid(document.getElementById("desk-form"), data ? JSON.parse(data) : {});
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (fromDesk(event)) { notDecided(words("unreachable", "The server could not be reached.")); }
  });

  document.addEventListener("htmx:timeout", function (event) {
    if (fromDesk(event)) { notDecided(words("timeout", "No answer came in time.")); }
  });
})();
