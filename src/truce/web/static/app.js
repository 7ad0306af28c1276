// Progressive enhancement of truce's pages: every page works without this file.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function showMessage(ok, text) {
    var box = byId("message");
    if (!box) { return; }
    box.hidden = false;
    box.className = "message " + (ok ? "ok" : "error");
    box.textContent = text;
  }

  // Put the cursor on a 1-based line of the editor and select it.
  function selectLine(editor, line) {
    var lines = editor.value.split("\n");
    if (!line || line < 1 || line > lines.length) { return; }
    var start = 0;
    for (var i = 0; i < line - 1; i++) { start += lines[i].length + 1; }
    editor.focus();
    editor.setSelectionRange(start, start + lines[line - 1].length);
    var height = editor.scrollHeight / Math.max(lines.length, 1);
    editor.scrollTop = Math.max(0, (line - 3) * height);
  }

  function setupEditor() {
    var form = byId("scenario-form");
    if (!form) { return; }
    var editor = byId("scenario_yaml");
    var scenario = byId("scenario");
    var world = byId("world");
    if (editor.dataset.errorLine) { selectLine(editor, Number(editor.dataset.errorLine)); }

    // Choosing a built-in scenario loads its text into the editor.
    scenario.addEventListener("change", function () {
      if (!scenario.value) { return; }
      fetch("/api/scenarios/" + encodeURIComponent(scenario.value))
        .then(function (r) { return r.json(); })
        .then(function (doc) {
          editor.value = doc.text;
          var option = world.querySelector('option[value="' + (doc.world || "") + '"]');
          if (doc.world && option) { world.value = doc.world; }
          showMessage(true, "loaded " + doc.name + ": " + doc.description);
          form.dataset.loaded = doc.name;
        })
        .catch(function () { showMessage(false, "could not load the scenario"); });
    });

    // Validate without leaving the page: the command line's message and its line.
    byId("validate").addEventListener("click", function (event) {
      event.preventDefault();
      if (!editor.value.trim()) {
        showMessage(false, "the editor is empty: load or write a scenario");
        return;
      }
      fetch("/api/validate", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scenario_yaml: editor.value })
      })
        .then(function (r) { return r.json().then(function (doc) { return [r.status, doc]; }); })
        .then(function (pair) {
          var status = pair[0], doc = pair[1];
          if (status !== 200) {
            showMessage(false, typeof doc.detail === "string" ? doc.detail : "invalid request");
          } else if (doc.valid) {
            showMessage(true, "the scenario " + doc.name + " is valid (" + doc.measures + " measures)");
          } else {
            showMessage(false, doc.message);
            selectLine(editor, doc.line);
          }
        })
        .catch(function () { showMessage(false, "could not reach the server"); });
    });
    form.dataset.ready = "yes";
  }

  function setupJob() {
    var box = byId("job");
    if (!box) { return; }
    var id = box.dataset.jobId;
    var bar = byId("progress");
    function poll() {
      fetch("/api/jobs/" + id)
        .then(function (r) { return r.json(); })
        .then(function (job) {
          byId("status").textContent = job.status;
          byId("note").textContent = job.progress.note;
          if (job.progress.total) {
            bar.max = job.progress.total;
            bar.value = job.progress.done;
          } else {
            bar.removeAttribute("value");
          }
          if (job.status === "done" && job.links.result_page) {
            window.location.assign(job.links.result_page);
            return;
          }
          if (job.status === "failed") {
            var error = byId("error");
            error.hidden = false;
            error.textContent = job.error;
            bar.value = 0;
            return;
          }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    if (box.dataset.status === "queued" || box.dataset.status === "running") { poll(); }
  }

  // A report in a frame grows to its full height (same origin).
  function setupReport() {
    var frame = byId("report");
    if (!frame) { return; }
    frame.addEventListener("load", function () {
      try {
        var body = frame.contentDocument.body;
        frame.style.height = Math.max(body.scrollHeight + 40, 400) + "px";
      } catch (e) { /* leave the default height */ }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupEditor();
    setupJob();
    setupReport();
  });
})();
