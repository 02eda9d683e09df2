// 新来电: ask the back office for a suggestion while the operator types, and
// fill the fields the operator has not changed. The page files without it.
(function () {
  "use strict";

  var WAIT_MS = 400;  // after the last keystroke, so a fast typist is not interrupted

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("intake");
    if (!form) { return; }
    var notes = document.getElementById("in-description");
    var fields = {
      category: document.getElementById("in-category"),
      respondent: document.getElementById("in-respondent"),
      amount_yuan: document.getElementById("in-amount"),
      place: document.getElementById("in-place")
    };
    var status = document.getElementById("suggestion-status");
    var body = document.getElementById("suggestion-body");
    var timer = null;
    var asked = 0;      // the latest request; older answers are dropped

    function $(id) { return document.getElementById(id); }

    // A field the operator typed in (or that came back after an error) is theirs.
    Object.keys(fields).forEach(function (name) {
      var el = fields[name];
      if (el.value) { el.dataset.edited = "1"; }
      el.addEventListener("input", function () { el.dataset.edited = el.value ? "1" : ""; schedule(); });
      el.addEventListener("change", function () { el.dataset.edited = el.value ? "1" : ""; schedule(); });
    });

    function fill(name, value) {
      var el = fields[name];
      if (el.dataset.edited) { return; }
      el.value = value || "";
    }

    function show(s) {
      status.textContent = "已按记下的内容更新建议。";
      body.hidden = false;
      $("sg-category").textContent = s.ordinary && s.category === "other" ? "一般诉求" : s.category_name;
      $("sg-confidence").textContent = "置信度 " + s.confidence + "%";
      $("sg-ordinary").hidden = !s.ordinary;
      var alts = $("sg-alternatives");
      alts.textContent = "";
      s.alternatives.forEach(function (a) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "pick";
        b.textContent = a.name + " " + a.confidence + "%";
        b.title = "改用这个类别";
        b.addEventListener("click", function () {
          fields.category.value = a.category;
          fields.category.dataset.edited = "1";
          schedule();
        });
        alts.appendChild(b);
      });
      $("sg-alternatives-line").hidden = s.alternatives.length === 0;
      $("sg-lead").textContent = s.lead_name;
      $("sg-co").textContent = s.co_names.join("、");
      $("sg-co-line").hidden = s.co_names.length === 0;
      $("sg-auto").hidden = !s.auto_dispatch;
      var list = $("sg-notes");
      list.textContent = "";
      s.notes.forEach(function (n) {
        var li = document.createElement("li");
        li.textContent = n;
        list.appendChild(li);
      });
      $("sg-respondent-name").textContent = s.respondent_name ? "对应目录单位：" + s.respondent_name : "";
      fill("category", s.category);
      fill("respondent", s.respondent);
      fill("amount_yuan", s.amount_yuan);
      fill("place", s.place);
    }

    function ask() {
      var text = notes.value.trim();
      if (!text) {
        status.textContent = "记下来电内容后，这里会显示建议。";
        body.hidden = true;
        return;
      }
      var data = new URLSearchParams();
      data.append("csrf_token", form.elements.csrf_token.value);
      data.append("description", text);
      ["respondent", "place", "category"].forEach(function (name) {
        if (fields[name].dataset.edited) { data.append(name, fields[name].value); }
      });
      var mine = ++asked;
      status.textContent = "正在更新建议…";
      fetch(form.getAttribute("data-understand"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) { throw new Error("登录已过期或页面已失效，请在新窗口重新登录；已记下的内容仍在本页。"); }
        return r.json().then(function (s) {
          if (!r.ok) { throw new Error(s.error || "暂时无法给出建议，请手动选择。"); }
          return s;
        });
      }).then(function (s) {
        if (mine === asked) { show(s); }
      }).catch(function (e) {
        if (mine !== asked) { return; }
        status.textContent = e.message && /[\u4e00-\u9fff]/.test(e.message) ? e.message : "暂时无法给出建议，请手动选择类别和单位。";
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    }

    notes.addEventListener("input", schedule);
    if (notes.value.trim()) { ask(); }

    // The contact questions follow the answers, as in the chat.
    var phone = $("in-phone");
    var anonymous = $("in-anonymous");
    var confirmBox = $("confirm-anonymous");
    var confirmText = $("confirm-anonymous-text");
    function contact() {
      var hasPhone = phone.value.trim() !== "";
      confirmBox.hidden = !(anonymous.checked && hasPhone);
      confirmText.textContent = confirmText.getAttribute("data-template").replace("{phone}", phone.value.trim());
      $("consent").hidden = !hasPhone || anonymous.checked;
      $("no-phone-note").hidden = hasPhone;
    }
    phone.addEventListener("input", contact);
    anonymous.addEventListener("change", contact);
    contact();
  });
})();
