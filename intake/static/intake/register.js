// 登记来电 in place: a scan uploaded and read by OCR (progress polled from a small JSON endpoint, the form filled
// when it is read), a pasted text parsed without a page reload, and the deadline the registration would get.
// Without script every one of these still works by posting the page (the server renders the same marks).
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form || !window.fetch) return;
  var JSON_HEADERS = { "Accept": "application/json" };
  var viewer = document.getElementById("scan-viewer");
  var pagesBox = document.getElementById("scan-pages");

  function byId(id) { return document.getElementById(id); }

  function request(url, options) {
    options = options || {};
    options.headers = JSON_HEADERS;
    options.credentials = "same-origin";
    return fetch(url, options).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A login page after the session ended, a proxy's error page: not ours to read.
        return Promise.reject(new Error("请求未成功（HTTP " + r.status + "），请刷新页面后重试。"));
      }
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    });
  }

  function busy(element, on) {
    element.setAttribute("aria-busy", on ? "true" : "false");
    element.querySelectorAll("button").forEach(function (b) { b.disabled = on; });
  }

  // Fields the clerk typed in: what a scan reads later never overwrites them.
  function touched(e) { if (e.target.name) e.target.dataset.touched = "1"; }
  form.addEventListener("input", touched);
  form.addEventListener("change", touched);

  // Ctrl+Enter saves (Enter in a text area is a new line).
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit(form.querySelector("button[type=submit]"));
    }
  });

  // ---- the marks under each field: the same as templates/telegrams/_register_field.html ----
  var LEVELS = ["ocr-high", "ocr-medium", "ocr-low"];

  function mark(name, m, note) {
    var box = form.querySelector('.field[data-field="' + name + '"]');
    var control = form.elements[name];
    if (!box || !control) return;
    box.querySelectorAll(".parse-hint").forEach(function (n) { n.remove(); });
    LEVELS.forEach(function (c) { box.classList.remove(c); });
    var after = control;
    if (m) {
      var hint = document.createElement("div");
      hint.className = "parse-hint";
      hint.dataset.parse = m.kind;
      if (m.level) {
        hint.dataset.confidence = m.level;
        box.classList.add("ocr-" + m.level);
      }
      var span = document.createElement("span");
      span.className = m.kind === "missing" ? "missing" : (m.level === "low" || m.level === "medium" ? m.level : "found");
      span.textContent = m.text;
      hint.appendChild(span);
      after.insertAdjacentElement("afterend", hint);
      after = hint;
    }
    if (note) {
      var warn = document.createElement("div");
      warn.className = "parse-hint parse-note urgent-text";
      warn.textContent = note;
      after.insertAdjacentElement("afterend", warn);
    }
  }

  function line(id, lead, leadClass, text) {
    var p = byId(id);
    if (!p) return;
    p.textContent = "";
    p.hidden = !text;
    if (!text) return;
    var span = document.createElement("span");
    span.className = leadClass;
    span.textContent = lead;
    p.appendChild(span);
    p.appendChild(document.createTextNode(text));
  }

  function summary(json, kept) {
    var found = json.found_labels, missing = json.missing_labels;
    line("summary-found", "已识别 " + found.length + " 项：", "found", found.join("、") || "（无）");
    line("summary-missing", "未识别 " + missing.length + " 项：", "missing",
         missing.length ? missing.join("、") + "（请对照原件填写）" : "");
    line("summary-annotation", "原文有领导批示（登记表不含此项，请领导在电报页批示）：", "missing", json.annotation || "");
    var notes = byId("summary-notes");
    notes.textContent = "";
    var texts = Object.keys(json.notes).map(function (k) { return json.notes[k]; });
    if (kept.length) texts.push("您已填写的 " + kept.join("、") + " 保留未改，扫描件的识别结果写在各项下方。");
    texts.forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t;
      notes.appendChild(li);
    });
    notes.hidden = !texts.length;
    byId("parse-summary").hidden = false;
  }

  // Fill the form from a prefill (the parse and scan endpoints: intake.prefill.Prefill.as_json).
  // `keepTyped`: a scan read while the clerk was typing leaves what they typed alone.
  function fill(json, keepTyped) {
    var kept = [];
    Object.keys(json.marks).forEach(function (name) {
      var control = form.elements[name];
      if (!control) return;
      var value = json.data[name];
      var m = json.marks[name];
      if (value !== undefined && keepTyped && control.dataset.touched && control.value && control.value !== value) {
        kept.push(json.labels[name] || name);
        m = { kind: "found", level: "", text: "已保留您填写的内容；扫描件识别为：" + value };
      } else if (value !== undefined) {
        control.value = value;
        delete control.dataset.touched;
      }
      mark(name, m, json.notes[name]);
    });
    summary(json, kept);
    refreshDeadline(0);
    // The keyboard goes on where a look is needed: a doubtful reading, a required field still empty, else the
    // first field (the clerk reads the form top to bottom against the paper).
    var next = form.querySelector(".field.ocr-low input, .field.ocr-low textarea, .field.ocr-low select");
    if (!next) {
      next = Array.prototype.find.call(form.querySelectorAll("input[required], select[required], textarea[required]"),
                                       function (el) { return !el.value; });
    }
    (next || form.elements.sender_unit_name).focus();
  }

  // ---- 办理期限: what saving would give, from 等级, 收报时间 and the 批办 ----
  var deadline = byId("deadline-preview");
  var deadlineTimer = null;

  function showDeadline(d) {
    byId("deadline-text").textContent = d.text;
    var routes = byId("routes-text"), note = byId("deadline-note");
    routes.textContent = d.routes;
    routes.hidden = !d.routes;
    note.textContent = d.note;
    note.hidden = !d.note;
  }

  function refreshDeadline(wait) {
    if (!deadline) return;
    clearTimeout(deadlineTimer);
    deadlineTimer = setTimeout(function () {
      var q = new URLSearchParams({
        precedence: form.elements.precedence.value,
        received_at: form.elements.received_at.value,
        instruction: form.elements.instruction.value,
      });
      request(deadline.dataset.url + "?" + q.toString()).then(function (r) {
        if (r.status === 200) showDeadline(r.body);
      }).catch(function () { /* the preview is a help, not a step: leave the last one */ });
    }, wait === undefined ? 350 : wait);
  }

  ["precedence", "received_at", "instruction"].forEach(function (name) {
    var control = form.elements[name];
    if (!control) return;
    control.addEventListener("input", function () { refreshDeadline(); });
    control.addEventListener("change", function () { refreshDeadline(); });
  });

  // ---- 识别并填表: the pasted text (or .txt) parsed by the server, the form filled in place ----
  var paste = byId("paste-form");

  function pasteErrors(messages) {
    var box = byId("paste-errors");
    box.textContent = "";
    box.hidden = !messages.length;
    if (!messages.length) return;
    var li = document.createElement("li");
    li.className = "error";
    li.textContent = messages.join(" ");
    box.appendChild(li);
  }

  if (paste) {
    paste.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(paste);
      data.append("parse", "1");
      busy(paste, true);
      request(paste.dataset.parseUrl, { method: "POST", body: data }).then(function (r) {
        if (typeof r.body.text === "string" && r.body.text) paste.elements.text.value = r.body.text;
        if (r.status !== 200) {
          pasteErrors(r.body.errors || ["无法识别该文本。"]);
          return;
        }
        pasteErrors([]);
        if (paste.elements.file) paste.elements.file.value = "";
        fill(r.body, false);
      }).catch(function (err) {
        pasteErrors([err.message && err.message.indexOf("HTTP") !== -1 ? err.message : "网络错误，未能识别，请重试。"]);
      }).then(function () { busy(paste, false); });
    });
    paste.elements.text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        e.stopPropagation();
        paste.requestSubmit(paste.querySelector("button[type=submit]"));
      }
    });
  }

  // ---- 识别扫描件: upload, watch the OCR job, fill the form when it is read ----
  function addPage(url, alt) {
    var a = document.createElement("a");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener";
    var img = document.createElement("img");
    img.src = url;
    img.alt = alt;
    a.appendChild(img);
    pagesBox.appendChild(a);
  }

  function renderPages(count) {
    if (viewer.dataset.pdf !== "1" || viewer.dataset.canRender !== "1") return;
    var name = byId("scan-name").textContent;
    for (var n = pagesBox.querySelectorAll("img").length + 1; n <= count; n++) {
      addPage(viewer.dataset.fileUrl + "?page=" + n, name + " 第 " + n + " 页");
    }
  }

  function setStatus(text, state) {
    var status = byId("ocr-status");
    status.textContent = text;
    if (state) status.dataset.state = state;
  }

  var pollTimer = null, polls = 0;

  function poll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(function () {
      request(viewer.dataset.statusUrl, { cache: "no-store" }).then(function (r) {
        if (r.status !== 200) throw new Error(String(r.status));
        var s = r.body;
        if (s.pages) renderPages(s.pages);
        if (!s.final) {
          setStatus(s.progress, s.state);
          poll();
          return;
        }
        viewer.dataset.final = "1";
        if (s.ok) {
          setStatus("已完成，正在填入登记表……", "filling"); // "done" once the form holds what was read
          loadPrefill();
        } else {
          setStatus(s.progress, s.state);
        }
      }).catch(function () {
        polls += 5; // a hiccup (a restart, a dropped connection): keep looking, a little less often
        poll();
      });
    }, polls++ < 30 ? 1000 : 2000);
  }

  function loadPrefill() {
    request(viewer.dataset.prefillUrl, { cache: "no-store" }).then(function (r) {
      if (r.status !== 200) {
        setStatus(r.body.error || "未能读取识别结果。", "failed");
        return;
      }
      fill(r.body, true);
      setStatus("已完成：已按识别结果填入 " + r.body.found_labels.length + " 项，请对照扫描件核对。", "done");
    }).catch(function (err) { setStatus(err.message, "failed"); });
  }

  function hold(uid, filename) {
    var list = byId("held-list");
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "check";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = "held";
    box.value = uid;
    box.checked = true;
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + filename));
    li.appendChild(label);
    list.appendChild(li);
    byId("held-scans").hidden = false;
    if (paste) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "held";
      hidden.value = uid;
      paste.appendChild(hidden);
    }
  }

  function showScan(json) {
    viewer.dataset.statusUrl = json.urls.status;
    viewer.dataset.prefillUrl = json.urls.prefill;
    viewer.dataset.fileUrl = json.urls.file;
    viewer.dataset.pdf = json.content_type === "application/pdf" ? "1" : "0";
    viewer.dataset.final = "0";
    byId("scan-name").textContent = json.filename;
    byId("scan-open").href = json.urls.file;
    pagesBox.textContent = "";
    if (viewer.dataset.pdf === "1") renderPages(1);
    else addPage(json.urls.file, json.filename);
    viewer.hidden = false;
    byId("intake-layout").classList.add("with-scan");
    hold(json.uid, json.filename);
    setStatus(json.status.progress, json.status.state);
    polls = 0;
    poll();
  }

  var ocrForm = byId("ocr-form");
  if (ocrForm && ocrForm.elements.scan) {
    var ocrError = function (text) {
      var p = byId("ocr-error");
      p.textContent = text;
      p.hidden = !text;
    };
    ocrForm.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!ocrForm.elements.scan.files.length) {
        ocrError("请选择要识别的扫描件（PDF、JPEG 或 PNG，手机照片亦可）。");
        return;
      }
      ocrError("");
      busy(ocrForm, true);
      request(ocrForm.action, { method: "POST", body: new FormData(ocrForm) }).then(function (r) {
        if (r.status !== 201) {
          ocrError(r.body.error || "上传未成功。");
          return;
        }
        ocrForm.reset();
        showScan(r.body);
        // A reload (or the back button) comes back to this scan, rendered by the server.
        history.replaceState(null, "", r.body.urls.form);
      }).catch(function (err) { ocrError(err.message || "网络错误，上传未成功，请重试。"); })
        .then(function () { busy(ocrForm, false); });
    });
  }

  // A page rendered while its scan is still being read: watch it from here.
  if (viewer && !viewer.hidden && viewer.dataset.final === "0") poll();
})();
