// Admin console: live campaign progress, confirmation of destructive
// forms, and the browser's time zone for scheduling. The pages work
// without it; it only makes them nicer.
(function () {
  "use strict";

  // Progress bars with data-progress poll their JSON until the campaign
  // is no longer live.
  function poll(el) {
    var url = el.getAttribute("data-progress");
    var bar = el.querySelector("progress");
    var pct = el.querySelector(".pct");
    var detail = el.id === "campaign-progress";
    var delay = 1000;
    function update(p) {
      bar.value = p.percent;
      bar.textContent = p.percent + "%";
      if (pct) { pct.textContent = p.percent + "%"; }
      if (detail) {
        ["recipients", "sent", "failed", "skipped", "opted_out", "unsubscribed", "bounced", "complaints"].forEach(function (k) {
          var c = document.querySelector('[data-counter="' + k + '"]');
          if (c) { c.textContent = p[k]; }
        });
        var st = document.getElementById("campaign-status");
        if (st) { st.textContent = p.status_label; st.className = "badge " + p.status; }
        var was = el.getAttribute("data-status");
        el.setAttribute("data-status", p.status);
        if (was && was !== p.status) { refreshActions(); }
      }
    }
    function tick() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (p) {
          update(p);
          delay = 1000;
          if (p.live) { setTimeout(tick, p.status === "paused" ? 5000 : delay); }
        })
        .catch(function () {
          delay = Math.min(delay * 2, 30000);
          setTimeout(tick, delay);
        });
    }
    setTimeout(tick, 500);
  }

  // When a campaign's status changes under an open page (it started or
  // finished, or another user paused it), the audience, actions,
  // publishing and schedule panels are taken from the page as the server
  // now renders it: the same rules decide what is offered (the audience
  // "now" only while the campaign can still be scheduled), and nothing
  // typed elsewhere on the page is lost to a reload.
  var actionPanels = ["audience", "campaign-actions", "campaign-publishing", "campaign-schedule"];

  // Forms with data-confirm under root ask before they are sent.
  function confirmForms(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form[data-confirm]"), function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  }
  function refreshActions() {
    fetch(location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        actionPanels.forEach(function (id) {
          var old = document.getElementById(id);
          if (!old) { return; }
          var fresh = doc.getElementById(id);
          if (!fresh) { old.remove(); return; }
          if (id === "campaign-schedule") { return; } // kept as it is: its script set the time zone
          fresh = document.importNode(fresh, true);
          old.replaceWith(fresh);
          confirmForms(fresh);
        });
      })
      .catch(function () { /* the page's own actions stay; the server refuses what no longer applies */ });
  }

  // The campaign editor: merge-field buttons insert at the cursor of the
  // field last written in; the preview of each language follows typing,
  // by posting the form into its sandboxed frame as its button would.
  function editor(form) {
    var last = form.querySelector("[data-body]");
    var format = form.querySelector("[name=format]");
    var bar = form.querySelector(".merge-buttons");
    var timer = null;
    form.addEventListener("focusin", function (e) {
      var t = e.target;
      if (t.matches("[data-body], input[type=text][name^=subject_]")) { last = t; }
    });
    function insert(btn) {
      if (!last) { return; }
      var md = format && format.value === "markdown";
      var text = last.tagName === "INPUT" ? "{{.Name}}" : btn.getAttribute(md ? "data-insert-md" : "data-insert");
      if (last.tagName === "INPUT" && btn.getAttribute("data-insert") !== "{{.Name}}") { return; }
      var a = last.selectionStart, b = last.selectionEnd, v = last.value;
      last.value = v.slice(0, a) + text + v.slice(b);
      last.focus();
      last.selectionStart = last.selectionEnd = a + text.length;
      last.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (bar) {
      bar.hidden = false;
      Array.prototype.forEach.call(bar.querySelectorAll("[data-insert]"), function (btn) {
        btn.addEventListener("click", function () { insert(btn); });
      });
    }
    // The part of the default language is marked as such.
    var locale = form.querySelector("[name=locale]");
    function markDefault() {
      var def = (locale && locale.value) || "en";
      Array.prototype.forEach.call(form.querySelectorAll("fieldset[id^=part-]"), function (fs) {
        var is = fs.id === "part-" + def;
        var mark = fs.querySelector("[data-default-mark]"), hint = fs.querySelector("[data-optional-hint]");
        if (mark) { mark.hidden = !is; }
        if (hint) { hint.hidden = is; }
      });
    }
    if (locale) { locale.addEventListener("change", markDefault); }
    var buttons = form.querySelectorAll("[data-preview]");
    function preview() {
      var action = form.getAttribute("action"), target = form.getAttribute("target");
      Array.prototype.forEach.call(buttons, function (btn) {
        form.setAttribute("action", btn.getAttribute("formaction"));
        form.setAttribute("target", btn.getAttribute("formtarget"));
        HTMLFormElement.prototype.submit.call(form);
      });
      form.setAttribute("action", action);
      if (target === null) { form.removeAttribute("target"); } else { form.setAttribute("target", target); }
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(preview, 400);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    if (buttons.length) { preview(); }
  }

  // A file over the import's cap is refused before it is sent: the
  // server stops reading such an upload, and a browser still sending it
  // may show a reset connection instead of the server's answer.
  function capFile(file) {
    file.addEventListener("change", function () {
      var max = parseInt(file.getAttribute("data-max-mb"), 10) * 1048576;
      var f = file.files && file.files[0];
      file.setCustomValidity(f && f.size > max ? file.getAttribute("data-too-large") : "");
      if (f && f.size > max) { file.reportValidity(); }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-progress]"), poll);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-editor]"), editor);
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-mb]"), capFile);

    confirmForms(document);

    var sched = document.getElementById("schedule-form");
    if (sched) {
      var at = sched.querySelector("[name=send_at]");
      var later = sched.querySelector("#when-later");
      if (at && later) {
        at.addEventListener("input", function () { if (at.value) { later.checked = true; } });
      }
      sched.addEventListener("submit", function () {
        var tz = sched.querySelector("[data-tz-offset]");
        if (!tz) { return; }
        var d = at && at.value ? new Date(at.value) : new Date();
        tz.value = String(isNaN(d.getTime()) ? new Date().getTimezoneOffset() : d.getTimezoneOffset());
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
