// The web chat page. Plain JavaScript, no libraries.
// Transport: a WebSocket (/chat/ws); after repeated failures, plain HTTP
// (POST /chat/api/messages, and polling GET for later messages).
// Nothing typed is lost: a message stays in localStorage until the server
// has stored it, and is sent again (same client id, stored once) after a
// reconnect or a reload.
(function () {
  "use strict";

  var PENDING_KEY = "hotline-chat-pending";
  var WS_FAILURES_BEFORE_HTTP = 3;
  var POLL_MS = 3000;

  var log = document.getElementById("log");
  var input = document.getElementById("input");
  var form = document.getElementById("composer");
  var typing = document.getElementById("typing");
  var statusLine = document.getElementById("status");
  var errorBox = document.getElementById("error");
  var ticketBox = document.getElementById("tickets");
  var ticketList = document.getElementById("ticket-list");

  var lastId = 0;
  var seen = {};           // message id -> element
  var sending = {};        // client id -> element of a message not yet stored
  var pending = loadPending();
  var ws = null;
  var wsFailures = 0;
  var mode = "ws";
  var pollTimer = null;

  // ------------------------------------------------------------ showing

  // Control characters are shown as visible symbols (U+2400...), never interpreted.
  function visible(text) {
    return String(text).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, function (ch) {
      var code = ch.charCodeAt(0);
      return String.fromCharCode(code === 0x7f ? 0x2421 : 0x2400 + code);
    });
  }

  function timeText(iso) {
    var d = new Date(iso);
    if (isNaN(d)) { return ""; }
    return d.toLocaleString("zh-CN", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function bubble(direction, text, extraClass) {
    var wrap = document.createElement("div");
    wrap.className = "msg " + direction + (extraClass ? " " + extraClass : "");
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = direction === "in" ? "我说：" : "热线助手说：";
    var b = document.createElement("div");
    b.className = "bubble";
    b.textContent = visible(text);   // textContent: HTML and scripts are shown as text
    wrap.appendChild(label);
    wrap.appendChild(b);
    return wrap;
  }

  function addMeta(el, iso) {
    var meta = el.querySelector(".meta") || document.createElement("span");
    meta.className = "meta";
    meta.textContent = timeText(iso);
    el.appendChild(meta);
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function render(m) {
    if (seen[m.id]) { return; }
    lastId = Math.max(lastId, m.id);
    var mine = m.client_id && sending[m.client_id];
    if (mine) {
      // Our own message, now stored: keep what we showed, mark it sent.
      mine.classList.remove("sending", "failed");
      mine.dataset.id = m.id;
      addMeta(mine, m.at);
      delete sending[m.client_id];
      dropPending(m.client_id);
      seen[m.id] = mine;
      return;
    }
    if (m.client_id) { dropPending(m.client_id); }
    var el = bubble(m.direction, m.text, m.notice ? "notice" : "");
    if (m.buttons && m.buttons.length) {
      var choices = document.createElement("div");
      choices.className = "choices";
      choices.setAttribute("role", "group");
      choices.setAttribute("aria-label", "可选回答");
      m.buttons.forEach(function (title, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = visible(title);
        button.addEventListener("click", function () {
          Array.prototype.forEach.call(choices.querySelectorAll("button"), function (x) { x.disabled = true; });
          send({ button: { message_id: m.id, index: index } }, title);
        });
        choices.appendChild(button);
      });
      el.appendChild(choices);
    }
    addMeta(el, m.at);
    seen[m.id] = el;
    insertInOrder(el, m.id);
    scrollDown();
  }

  function insertInOrder(el, id) {
    el.dataset.id = id;
    var after = null;
    var nodes = log.querySelectorAll(".msg[data-id]");
    for (var i = nodes.length - 1; i >= 0; i--) {
      if (Number(nodes[i].dataset.id) < id) { after = nodes[i]; break; }
    }
    if (after && after.nextSibling) { log.insertBefore(el, after.nextSibling); }
    else if (after) { log.appendChild(el); }
    else { log.insertBefore(el, log.querySelector(".msg") || null); }
  }

  function showTickets(tickets) {
    if (!tickets || !tickets.length) { return; }
    ticketList.textContent = "";
    tickets.slice().reverse().forEach(function (t) {
      var li = document.createElement("li");
      var number = document.createElement("span");
      number.className = "ticket-number";
      number.textContent = "工单号 " + t.number;
      var code = document.createElement("span");
      code.className = "ticket-code";
      code.appendChild(document.createTextNode("查询码 "));
      var b = document.createElement("b");
      b.textContent = t.query_code;
      code.appendChild(b);
      var state = document.createElement("span");
      state.className = "ticket-state";
      state.textContent = t.state_name;
      li.appendChild(number); li.appendChild(code); li.appendChild(state);
      ticketList.appendChild(li);
    });
    ticketBox.hidden = false;
    scrollDown();  // the banner takes room from the conversation: keep its end in view
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function setStatus(text) { statusLine.textContent = text; }

  function handle(data) {
    if (data.type === "history" || data.type === "messages") {
      (data.messages || []).forEach(render);
      if (data.tickets) { showTickets(data.tickets); }
    } else if (data.type === "tickets") {
      showTickets(data.tickets);
    } else if (data.type === "typing") {
      typing.hidden = !data.on;
      if (data.on) { scrollDown(); }
    } else if (data.type === "ack") {
      var el = sending[data.client_id];
      if (el) { el.classList.remove("sending"); delete sending[data.client_id]; }
      dropPending(data.client_id);
    } else if (data.type === "error") {
      fail(data.client_id, data.error);
    }
  }

  function fail(clientId, text) {
    showError(text || "发送失败，请重试。");
    var el = clientId && sending[clientId];
    var item = clientId && findPending(clientId);
    if (el) { el.classList.remove("sending"); el.classList.add("failed"); delete sending[clientId]; }
    if (item) {
      dropPending(clientId);
      // Nothing is lost: a refused text goes back into the box to be edited.
      if (item.text && !input.value) { input.value = item.text; autosize(); }
    }
  }

  // ------------------------------------------------------------ what was typed and not yet stored

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(PENDING_KEY) || "[]"); } catch (e) { return []; }
  }
  function savePending() {
    try { localStorage.setItem(PENDING_KEY, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }
  function findPending(id) {
    for (var i = 0; i < pending.length; i++) { if (pending[i].client_id === id) { return pending[i]; } }
    return null;
  }
  function dropPending(id) {
    var before = pending.length;
    pending = pending.filter(function (p) { return p.client_id !== id; });
    if (pending.length !== before) { savePending(); }
  }

  function newId() {
    if (window.crypto && crypto.getRandomValues) {
      var a = new Uint8Array(16);
      crypto.getRandomValues(a);
      return Array.prototype.map.call(a, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function send(body, shownText) {
    var item = { client_id: newId(), text: body.text, button: body.button, shown: shownText };
    pending.push(item);
    savePending();
    var el = bubble("in", shownText, "sending");
    sending[item.client_id] = el;
    log.appendChild(el);
    scrollDown();
    showError("");
    transmit(item);
  }

  function transmit(item) {
    var body = { client_id: item.client_id };
    if (item.button) { body.button = item.button; } else { body.text = item.text; }
    if (mode === "ws") {
      if (ws && ws.readyState === WebSocket.OPEN) {
        body.type = "say";
        ws.send(JSON.stringify(body));
      }
      return;  // otherwise sent on reconnect
    }
    body.after = lastId;
    typing.hidden = false;
    fetch("/chat/api/messages", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }).then(function (res) {
      typing.hidden = true;
      if (!res.ok) {
        var tooLong = (res.data.details || []).some(function (d) { return d.problem === "内容过长"; });
        fail(item.client_id, tooLong || res.status === 413 ? "消息太长，请分段发送（每段不超过20000字）。" : res.data.error);
        return;
      }
      handle({ type: "messages", messages: res.data.messages, tickets: res.data.tickets });
    }).catch(function () {
      typing.hidden = true;
      showError("网络连接中断，消息已暂存在本机，恢复后会自动发送。");
    });
  }

  function resendPending() {
    pending.forEach(function (item) {
      if (!sending[item.client_id]) {
        var el = bubble("in", item.shown || item.text || "", "sending");
        sending[item.client_id] = el;
        log.appendChild(el);
      }
      transmit(item);
    });
  }

  // ------------------------------------------------------------ connecting

  function connect() {
    if (!("WebSocket" in window) || wsFailures >= WS_FAILURES_BEFORE_HTTP) { useHttp(); return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var opened = false;
    try { ws = new WebSocket(scheme + location.host + "/chat/ws"); } catch (e) { wsFailures++; connect(); return; }
    ws.onopen = function () {
      opened = true;
      wsFailures = 0;
      setStatus("已连接，助手在线为您服务。");
      ws.send(JSON.stringify({ type: "hello", after: lastId }));
      resendPending();
    };
    ws.onmessage = function (event) {
      try { handle(JSON.parse(event.data)); } catch (e) { /* ignore a malformed frame */ }
    };
    ws.onclose = function () {
      typing.hidden = true;
      if (!opened) { wsFailures++; }
      setStatus("连接中断，正在重新连接……（未发出的消息已暂存）");
      setTimeout(connect, opened ? 500 : 1000 * wsFailures);
    };
  }

  function useHttp() {
    mode = "http";
    setStatus("已连接（普通模式）。");
    poll();
    resendPending();
  }

  function poll() {
    fetch("/chat/api/messages?after=" + lastId, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { handle({ type: "messages", messages: data.messages, tickets: data.tickets }); })
      .catch(function () { setStatus("网络连接中断，正在重试……"); })
      .then(function () { pollTimer = setTimeout(poll, POLL_MS); });
  }

  // ------------------------------------------------------------ the composer

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 200) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { showError("请输入要发送的内容。"); input.focus(); return; }
    input.value = "";
    autosize();
    send({ text: text }, text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter while an input method is composing is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", autosize);

  // A shared computer: the next person must not see this conversation.
  document.getElementById("forget").addEventListener("click", function () {
    if (!window.confirm("清除后，这台设备上将不再显示您的对话和工单号。请先记下工单号和查询码。确定清除吗？")) { return; }
    try { localStorage.removeItem(PENDING_KEY); } catch (e) { /* private mode */ }
    fetch("/chat/api/forget", { method: "POST", credentials: "same-origin" })
      .then(function () { location.reload(); })
      .catch(function () { showError("网络连接中断，未能清除，请稍后再试。"); });
  });

  connect();
})();
