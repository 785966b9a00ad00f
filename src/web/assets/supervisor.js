// supervisor-rs web interface: optional enhancements. Every page works without this file.
// Status page: actions by fetch (no reload), the table refreshed in place, live filtering.
// Tail page: new output appended as it is written, read from /logtail/... as a stream.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var REFRESH_MS = 3000;

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function setMessage(text, kind) {
    var box = document.getElementById("message");
    if (!box) return;
    box.textContent = text || "";
    box.className = text ? "status_msg" + (kind ? " " + kind : "") : "";
  }

  // ---- status page -------------------------------------------------------------------------

  function initStatus() {
    var busy = 0;
    var filter = document.getElementById("q");
    var group = document.getElementById("group");

    function applyFilter() {
      var text = filter ? filter.value.trim().toLowerCase() : "";
      var only = group ? group.value : "";
      var shownGroups = {};
      document.querySelectorAll("#status tr[data-name]").forEach(function (tr) {
        var show = (!only || tr.dataset.group === only) &&
          (!text || tr.dataset.name.toLowerCase().indexOf(text) >= 0 ||
            tr.dataset.state.indexOf(text) >= 0);
        tr.hidden = !show;
        if (show) shownGroups[tr.dataset.group] = true;
      });
      document.querySelectorAll("#status tr.grouprow").forEach(function (tr) {
        tr.hidden = !shownGroups[tr.dataset.group];
      });
    }

    function remember() {
      var params = new URLSearchParams();
      if (filter && filter.value) params.set("q", filter.value);
      if (group && group.value) params.set("group", group.value);
      var query = params.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
    }

    // Replaces the table with the one in `doc`, keeping keyboard focus where it was.
    function swap(doc) {
      var fresh = doc.getElementById("status");
      var old = document.getElementById("status");
      if (!fresh || !old) return;
      var focused = document.activeElement;
      var key = null;
      if (focused && old.contains(focused) && focused.form) {
        var nameField = focused.form.elements.processname;
        key = [nameField ? nameField.value : "", focused.value];
      }
      old.replaceWith(document.adoptNode(fresh));
      // A restarted daemon has a new token: the page-wide forms need it too.
      var token = doc.querySelector("input[name=token]");
      if (token) {
        document.querySelectorAll("input[name=token]").forEach(function (i) {
          i.value = token.value;
        });
      }
      applyFilter();
      if (key) {
        document.querySelectorAll("#status tr[data-name] button").forEach(function (b) {
          if (b.form.elements.processname.value === key[0] && b.value === key[1]) b.focus();
        });
      }
    }

    function refresh() {
      if (busy || document.hidden) return;
      fetch("index.html", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html && !busy) swap(parse(html)); })
        .catch(function () {});
    }

    document.addEventListener("submit", function (event) {
      var form = event.target;
      // getAttribute: the buttons are named "action", which shadows form.action.
      if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
      event.preventDefault();
      var button = event.submitter;
      var body = new URLSearchParams(new FormData(form));
      if (button && button.name) body.set(button.name, button.value);
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      form.setAttribute("aria-busy", "true");
      var what = button ? (button.getAttribute("aria-label") || button.textContent) : "Working";
      setMessage(what + "\u2026", "busy");
      busy++;
      fetch(form.getAttribute("action") || "index.html", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (t) { return [r, t]; }); })
        .then(function (rt) {
          busy--;
          var doc = parse(rt[1]);
          var msg = doc.getElementById("message");
          var text = msg ? msg.textContent : "";
          setMessage(text, msg && msg.classList.contains("error") ? "error" : "");
          if (doc.getElementById("status")) swap(doc); else refresh();
        })
        .catch(function () {
          busy--;
          setMessage("The daemon did not answer. Is it still running?", "error");
          buttons.forEach(function (b) { b.disabled = false; });
        });
    });

    if (filter) filter.addEventListener("input", function () { applyFilter(); remember(); });
    if (group) group.addEventListener("change", function () { applyFilter(); remember(); });
    // A reload should not show the last action's message again.
    if (/[?&]message=/.test(location.search)) remember();
    setInterval(refresh, REFRESH_MS);
    document.addEventListener("visibilitychange", refresh);
  }

  // ---- tail page ---------------------------------------------------------------------------

  function initTail() {
    var pre = document.getElementById("tail");
    var live = document.getElementById("live");
    if (!pre || !pre.dataset.follow || !window.ReadableStream) return;
    var url = pre.dataset.follow.replace(/\?offset=\d+$/, "");
    var offset = Number((pre.dataset.follow.match(/offset=(\d+)$/) || [0, 0])[1]);
    var MAX_CHARS = 2 * 1024 * 1024;
    pre.scrollTop = pre.scrollHeight;

    function append(text) {
      var atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
      var pageBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      pre.appendChild(document.createTextNode(text));
      if (pre.textContent.length > MAX_CHARS) {
        pre.textContent = pre.textContent.slice(-MAX_CHARS / 2);
      }
      if (atBottom) pre.scrollTop = pre.scrollHeight;
      if (pageBottom) window.scrollTo(0, document.body.scrollHeight);
    }

    function follow() {
      var decoder = new TextDecoder();
      fetch(url + "?offset=" + offset, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (!r.ok || !r.body) throw new Error("status " + r.status);
          if (live) live.hidden = false;
          var reader = r.body.getReader();
          function pump() {
            return reader.read().then(function (step) {
              if (step.done) throw new Error("end");
              offset += step.value.byteLength;
              append(decoder.decode(step.value, { stream: true }));
              return pump();
            });
          }
          return pump();
        })
        .catch(function () {
          if (live) live.hidden = true;
          setTimeout(follow, 2000);
        });
    }
    follow();
  }

  function init() {
    if (document.body.classList.contains("page-status")) initStatus();
    if (document.body.classList.contains("page-tail")) initTail();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
