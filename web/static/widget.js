/*
 * 債務整理チャット: web chat widget for Rasa's socket.io channel.
 *
 * Embed with one tag (the config object is optional; every key has a default):
 *
 *   <script>
 *     window.DebtChatConfig = {
 *       serverUrl: "https://chat.example.jp",   // default: where this script came from
 *       title: "債務整理のご相談",
 *       subtitle: "自動応答・24時間受付",
 *       colors: { primary: "#1d4e89", primaryText: "#ffffff", userBubble: "#1d4e89" },
 *     };
 *   </script>
 *   <script src="https://chat.example.jp/widget.js" defer></script>
 *
 * The widget lives in a shadow root (the page's CSS cannot break it, and its CSS does
 * not leak out). Everything it loads comes from the same server as this script:
 * static/widget.css and static/vendor/socket.io.min.js (socket.io-client 4, which speaks
 * the protocol of Rasa's python-socketio 5 / engine.io 4).
 *
 * Protocol (rasa/core/channels/socketio.py, session_persistence: true):
 *   connect -> emit "session_request" {session_id} -> "session_confirm" <id>
 *   emit "user_uttered" {message, session_id}       (dropped by Rasa without session_id)
 *   on "bot_uttered" {text, quick_replies?: [{title, payload}], attachment?}
 * Bot messages are emitted to the room named after the session, so nothing is sent
 * before "session_confirm": messages typed meanwhile (or while offline) wait in an
 * outbox kept in localStorage and go out, in order, once the session is confirmed.
 *
 * Public API: window.DebtChat.open(), .close(), .toggle(), .send(text).
 */
(function () {
  "use strict";
  if (window.DebtChat && window.DebtChat.__loaded) return;

  var script = document.currentScript;
  var scriptUrl = new URL(script ? script.src : "widget.js", document.baseURI);
  var assetBase = new URL("./", scriptUrl).href;
  var userCfg = window.DebtChatConfig || {};

  var cfg = {
    serverUrl: (userCfg.serverUrl || scriptUrl.origin).replace(/\/+$/, ""),
    socketPath: userCfg.socketPath || "/socket.io/",
    title: userCfg.title || "債務整理のご相談",
    subtitle: userCfg.subtitle || "自動応答でお答えします",
    launcherLabel: userCfg.launcherLabel || "チャットで相談",
    // Shift+Enter means nothing on a phone's keyboard: say it only where there are keys.
    placeholder: userCfg.placeholder || (window.matchMedia && matchMedia("(pointer: coarse)").matches
      ? "メッセージを入力" : "メッセージを入力（Shift+Enterで改行）"),
    notice: userCfg.notice ||
      "ここでの回答は一般的な情報で、法律相談ではありません。実際の判断は弁護士・司法書士が行います。",
    intro: userCfg.intro ||
      "借金や債務整理について、お気軽にご質問ください。お名前や連絡先を入力する必要はありません。",
    suggestions: userCfg.suggestions || [
      "債務整理の種類を知りたい",
      "自分に合う方法を診断したい",
      "過払い金があるか知りたい",
    ],
    startOverPayload: userCfg.startOverPayload || "/start_over",
    startOverLabel: userCfg.startOverLabel || "最初からやり直す",
    open: !!userCfg.open,
    colors: userCfg.colors || {},
    maxLength: userCfg.maxLength || 1000,
    storageKey: userCfg.storageKey || "debtchat",
  };

  // ---------------------------------------------------------------- storage ----
  // localStorage may be unavailable (privacy modes); the widget then works for the page's
  // lifetime only.
  var memoryStore = {};
  function storeGet(key, fallback) {
    try {
      var raw = window.localStorage.getItem(cfg.storageKey + ":" + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return key in memoryStore ? memoryStore[key] : fallback;
    }
  }
  function storeSet(key, value) {
    memoryStore[key] = value;
    try {
      window.localStorage.setItem(cfg.storageKey + ":" + key, JSON.stringify(value));
    } catch (e) { /* quota or disabled: memory only */ }
  }
  function sessionFlag(key, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem(cfg.storageKey + ":" + key) === "1";
      window.sessionStorage.setItem(cfg.storageKey + ":" + key, value ? "1" : "0");
    } catch (e) { return false; }
  }

  var MAX_ENTRIES = 300;
  var state = {
    sessionId: storeGet("session", null),
    // entries: {id, role: "user"|"bot", text, ts, quickReplies?, payload?, status?}
    // status (user): "queued" (not handed to the server yet) | "sent"
    entries: storeGet("transcript", []),
    ready: false,          // connected and session confirmed
    everConnected: false,
  };
  if (!Array.isArray(state.entries)) state.entries = [];

  function saveTranscript() {
    if (state.entries.length > MAX_ENTRIES) state.entries = state.entries.slice(-MAX_ENTRIES);
    storeSet("transcript", state.entries);
  }
  function newId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }

  // ------------------------------------------------------------------- DOM ----
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  var host = el("div", { id: "debtchat-root", "data-debtchat": "" });
  var root = host.attachShadow({ mode: "open" });
  var safeColor = function (v) { return typeof v === "string" && window.CSS && CSS.supports("color", v) ? v : null; };
  var colorVars = { primary: "--dc-primary", primaryText: "--dc-primary-text", userBubble: "--dc-user-bubble",
                    userText: "--dc-user-text", accent: "--dc-accent" };
  Object.keys(colorVars).forEach(function (k) {
    var c = safeColor(cfg.colors[k]);
    if (c) host.style.setProperty(colorVars[k], c);
  });

  var css = el("link", { rel: "stylesheet", href: assetBase + "static/widget.css" });
  var wrap = el("div", { class: "dc", lang: "ja", hidden: true });
  css.addEventListener("load", function () { wrap.hidden = false; });
  css.addEventListener("error", function () { wrap.hidden = false; });

  var launcher = el("button", {
    type: "button", class: "dc-launcher", "aria-expanded": "false", "aria-controls": "dc-panel",
    "aria-label": cfg.launcherLabel + "（" + cfg.title + "）",
  }, [
    el("span", { class: "dc-launcher-icon", "aria-hidden": "true" }),
    el("span", { class: "dc-launcher-text", text: cfg.launcherLabel }),
    el("span", { class: "dc-unread", hidden: true, "aria-hidden": "true" }),
  ]);
  var unreadDot = launcher.querySelector(".dc-unread");
  var launcherText = launcher.querySelector(".dc-launcher-text");
  function setLauncher(open) {
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    launcherText.textContent = open ? "閉じる" : cfg.launcherLabel;
    launcher.setAttribute("aria-label", open ? "チャットを閉じる" : cfg.launcherLabel + "（" + cfg.title + "）");
  }

  var statusText = el("span", { class: "dc-status", role: "status" });
  var closeBtn = el("button", { type: "button", class: "dc-close", "aria-label": "チャットを閉じる" }, [
    el("span", { "aria-hidden": "true", text: "×" }),
  ]);
  var titleId = "dc-title";
  var header = el("div", { class: "dc-header" }, [
    el("div", { class: "dc-heading" }, [
      el("h2", { id: titleId, class: "dc-title", text: cfg.title }),
      el("p", { class: "dc-subtitle" }, [el("span", { text: cfg.subtitle }), " ", statusText]),
    ]),
    closeBtn,
  ]);
  var startOverBtn = el("button", { type: "button", class: "dc-linkbtn dc-startover", text: cfg.startOverLabel });
  var notice = el("div", { class: "dc-notice" }, [
    el("p", { text: cfg.notice }),
    startOverBtn,
  ]);

  var log = el("div", {
    class: "dc-log", role: "log", "aria-live": "off", "aria-label": "会話の履歴", tabindex: "0",
  });
  var intro = el("div", { class: "dc-intro" }, [
    el("p", { text: cfg.intro }),
    el("div", { class: "dc-suggestions", role: "group", "aria-label": "よくあるご相談" },
      cfg.suggestions.map(function (s) {
        return el("button", { type: "button", class: "dc-chip", text: s, onclick: function (e) { send(s, s); keepFocus(e); } });
      })),
  ]);
  var typing = el("div", { class: "dc-typing", hidden: true }, [
    el("span", { class: "dc-dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]),
    el("span", { class: "dc-typing-text", text: "回答を準備しています…" }),
  ]);
  // Screen readers hear each new bot message once, from here (the log itself is silent
  // so that the visitor's own messages and history are not read out again).
  var live = el("div", { class: "dc-sr-only dc-live", "aria-live": "polite", "aria-atomic": "false" });

  var inputId = "dc-input";
  var input = el("textarea", {
    id: inputId, class: "dc-input", rows: "1", maxlength: String(cfg.maxLength),
    placeholder: cfg.placeholder, "aria-label": "メッセージ", enterkeyhint: "send", autocomplete: "off",
  });
  var sendBtn = el("button", { type: "submit", class: "dc-send", "aria-label": "送信", disabled: true }, [
    el("span", { "aria-hidden": "true", class: "dc-send-icon" }),
    el("span", { class: "dc-send-text", text: "送信" }),
  ]);
  var form = el("form", { class: "dc-form", "aria-label": "メッセージの送信" }, [input, sendBtn]);

  var panel = el("section", {
    id: "dc-panel", class: "dc-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": titleId,
    hidden: true,
  }, [header, notice, el("div", { class: "dc-body" }, [intro, log, typing]), form, live]);

  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(css);
  root.appendChild(wrap);

  // The button a keyboard user pressed disappears with its group: give focus to the
  // message box. (Not after a tap: on a phone that would pop up the keyboard.)
  function keepFocus(e) {
    if (e && e.detail === 0) input.focus();
  }

  // ------------------------------------------------------------- rendering ----
  var URL_RE = /(\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\))|(https?:\/\/[^\s<>"'「」（）()、。]+)|(\*\*([^*\n]{1,200})\*\*)|(0\d{1,4}-\d{1,4}-\d{3,4})/g;

  // Text with links: [label](url), bare http(s) URLs, **bold**, and telephone numbers
  // (the hotlines in distress answers are tappable on a phone). Built with text nodes
  // only: nothing from the server is ever parsed as HTML.
  function richText(text) {
    var frag = document.createDocumentFragment();
    var last = 0;
    String(text).replace(URL_RE, function (m, md, mdLabel, mdUrl, bare, bold, boldText, tel, offset) {
      if (offset > last) frag.appendChild(document.createTextNode(text.slice(last, offset)));
      if (md) frag.appendChild(link(mdUrl, mdLabel));
      else if (bare) frag.appendChild(link(bare, bare));
      else if (bold) frag.appendChild(el("strong", { text: boldText }));
      else if (tel) frag.appendChild(el("a", { href: "tel:" + tel.replace(/-/g, ""), text: tel }));
      last = offset + m.length;
      return m;
    });
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }
  function link(href, label) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: label });
  }

  function timeLabel(ts) {
    var d = new Date(ts), now = new Date();
    var hm = ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    if (d.toDateString() === now.toDateString()) return hm;
    return (d.getMonth() + 1) + "/" + d.getDate() + " " + hm;
  }

  var entryNodes = {};

  function renderEntry(entry) {
    var who = entry.role === "user" ? "あなた" : "アシスタント";
    var bubbleChildren = [];
    if (entry.text) bubbleChildren.push(el("div", { class: "dc-text" }, [richText(entry.text)]));
    if (entry.image) bubbleChildren.push(el("img", { src: entry.image, alt: "", class: "dc-image", loading: "lazy" }));
    var meta = el("div", { class: "dc-meta" }, [
      el("time", { datetime: new Date(entry.ts).toISOString(), text: timeLabel(entry.ts) }),
      entry.role === "user" ? el("span", { class: "dc-delivery" }) : null,
    ]);
    var node = el("div", { class: "dc-msg dc-" + entry.role, "data-entry": entry.id }, [
      el("span", { class: "dc-sr-only", text: who + "：" }),
      el("div", { class: "dc-bubble" }, bubbleChildren),
      meta,
    ]);
    if (entry.role === "bot" && entry.quickReplies && entry.quickReplies.length) {
      node.appendChild(el("div", { class: "dc-quick", role: "group", "aria-label": "返信の候補" },
        entry.quickReplies.map(function (qr) {
          return el("button", {
            type: "button", class: "dc-qr", text: qr.title,
            onclick: function (e) { send(qr.payload, qr.title); keepFocus(e); },
          });
        })));
    }
    entryNodes[entry.id] = node;
    updateDelivery(entry);
    return node;
  }

  function updateDelivery(entry) {
    var node = entryNodes[entry.id];
    if (!node || entry.role !== "user") return;
    var d = node.querySelector(".dc-delivery");
    node.classList.toggle("dc-queued", entry.status === "queued");
    d.textContent = entry.status === "queued" ? "未送信・接続後に送ります" : "";
  }

  // Quick replies belong to the latest bot message and only until the visitor answers.
  function refreshQuickReplies() {
    var lastBot = -1, lastUser = -1;
    state.entries.forEach(function (e, i) { if (e.role === "bot") lastBot = i; else lastUser = i; });
    state.entries.forEach(function (e, i) {
      var node = entryNodes[e.id];
      var group = node && node.querySelector(".dc-quick");
      if (group) group.hidden = !(i === lastBot && lastUser < lastBot);
    });
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // Messages in a row from one side within one minute share one time stamp (the last's).
  function groupWithPrevious(index) {
    var prev = state.entries[index - 1], cur = state.entries[index];
    if (!prev || !cur || prev.role !== cur.role || timeLabel(prev.ts) !== timeLabel(cur.ts)) return;
    var node = entryNodes[prev.id];
    if (node && !(prev.role === "user" && prev.status === "queued")) node.classList.add("dc-cont");
  }

  function append(entry, opts) {
    var stick = (opts && opts.forceScroll) || nearBottom();
    log.appendChild(renderEntry(entry));
    groupWithPrevious(state.entries.indexOf(entry));
    intro.hidden = true;
    refreshQuickReplies();
    if (stick) scrollToEnd();
  }

  function renderAll() {
    log.textContent = "";
    entryNodes = {};
    state.entries.forEach(function (e, i) { log.appendChild(renderEntry(e)); groupWithPrevious(i); });
    intro.hidden = state.entries.length > 0;
    refreshQuickReplies();
    scrollToEnd();
  }

  function announce(text) {
    live.appendChild(el("p", { text: "アシスタント：" + text }));
    while (live.childNodes.length > 5) live.removeChild(live.firstChild);
  }

  var typingTimer = null;
  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) {
      if (nearBottom()) scrollToEnd();
      typingTimer = setTimeout(function () { typing.hidden = true; }, 30000);
    }
  }

  function setStatus(kind) {
    var labels = {
      connecting: "接続しています…",
      online: "",
      offline: "接続が切れました。再接続しています…",
    };
    wrap.setAttribute("data-connection", kind);
    statusText.textContent = labels[kind] || "";
    var queued = state.entries.some(function (e) { return e.status === "queued"; });
    if (kind !== "online" && queued) statusText.textContent += "（入力したメッセージは接続後に送ります）";
  }

  // ----------------------------------------------------------- open / close ----
  function openPanel(focusInput) {
    panel.hidden = false;
    wrap.classList.add("dc-open");
    setLauncher(true);
    unreadDot.hidden = true;
    sessionFlag("open", true);
    ensureConnected();
    scrollToEnd();
    if (focusInput !== false) input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    wrap.classList.remove("dc-open");
    setLauncher(false);
    sessionFlag("open", false);
    launcher.focus();
  }
  launcher.addEventListener("click", function () { panel.hidden ? openPanel() : closePanel(); });
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); closePanel(); }
  });

  // ----------------------------------------------------------------- input ----
  var composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () {
    // Safari fires compositionend before the keydown of the Enter that commits the
    // text; keep the flag one turn longer so that Enter does not also send.
    setTimeout(function () { composing = false; }, 0);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    // Enter that commits an IME conversion is not "send" (isComposing; keyCode 229 is
    // what browsers report for keys the IME consumed).
    if (e.isComposing || e.keyCode === 229 || composing) return;
    if (e.shiftKey) return;           // Shift+Enter: a new line (the default action)
    e.preventDefault();
    submit();
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
    sendBtn.disabled = !input.value.trim();
  }
  input.addEventListener("input", autosize);
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    autosize();
    send(text, text);
    input.focus();
  }
  startOverBtn.addEventListener("click", function (e) {
    send(cfg.startOverPayload, cfg.startOverLabel);
    keepFocus(e);
  });

  // --------------------------------------------------------------- sending ----
  // payload goes to Rasa; shown is what the visitor sees as their message (a quick
  // reply's title, not its "/intent" payload).
  function send(payload, shown) {
    payload = String(payload || "").slice(0, cfg.maxLength);
    if (!payload.trim()) return;
    var entry = { id: newId(), role: "user", text: String(shown || payload), payload: payload,
                  ts: Date.now(), status: "queued" };
    state.entries.push(entry);
    saveTranscript();
    append(entry, { forceScroll: true });
    flush();
    if (!state.ready) setStatus(socket && socket.connected ? "connecting" : (state.everConnected ? "offline" : "connecting"));
  }

  function flush() {
    if (!state.ready || !socket || !socket.connected) return;
    var changed = false;
    state.entries.forEach(function (e) {
      if (e.role !== "user" || e.status !== "queued") return;
      socket.emit("user_uttered", { message: e.payload, session_id: state.sessionId });
      e.status = "sent";
      changed = true;
      updateDelivery(e);
      setTyping(true);
    });
    if (changed) saveTranscript();
  }

  // ------------------------------------------------------------- receiving ----
  function onBotUttered(data) {
    if (!data || typeof data !== "object") return;
    var entry = { id: newId(), role: "bot", text: "", ts: Date.now() };
    if (typeof data.text === "string") entry.text = data.text;
    var qrs = data.quick_replies || data.buttons;
    if (Array.isArray(qrs)) {
      entry.quickReplies = qrs.filter(function (q) { return q && q.title; }).map(function (q) {
        return { title: String(q.title), payload: String(q.payload || q.title) };
      });
    }
    var att = data.attachment;
    if (att && att.type === "image" && att.payload && /^https?:\/\//.test(att.payload.src || "")) {
      entry.image = att.payload.src;
    }
    if (!entry.text && !entry.image) return;
    setTyping(false);
    state.entries.push(entry);
    saveTranscript();
    append(entry);
    announce(entry.text || "画像が届きました");
    if (panel.hidden) unreadDot.hidden = false;
  }

  // ------------------------------------------------------------ connection ----
  var socket = null;
  var ioLoading = null;

  // socket.io's UMD build sets window.io; keep the page's own `io` (if any) untouched.
  function loadIo() {
    if (ioLoading) return ioLoading;
    ioLoading = new Promise(function (resolve, reject) {
      var previous = window.io;
      var s = document.createElement("script");
      s.src = assetBase + "static/vendor/socket.io.min.js";
      s.async = true;
      s.onload = function () {
        var io = window.io;
        if (previous === undefined) { try { delete window.io; } catch (e) { window.io = undefined; } }
        else window.io = previous;
        resolve(io);
      };
      s.onerror = function () { ioLoading = null; reject(new Error("socket.io client failed to load")); };
      document.head.appendChild(s);
    });
    return ioLoading;
  }

  function ensureConnected() {
    if (socket) {
      if (!socket.connected && !socket.active) socket.connect();
      return;
    }
    setStatus("connecting");
    loadIo().then(function (io) {
      if (socket) return;
      socket = io(cfg.serverUrl, {
        path: cfg.socketPath,
        reconnection: true,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 5000,
        timeout: 10000,
      });
      socket.on("connect", function () {
        state.ready = false;
        socket.emit("session_request", { session_id: state.sessionId });
      });
      socket.on("session_confirm", function (sessionId) {
        var id = typeof sessionId === "string" ? sessionId : (sessionId && sessionId.session_id);
        if (!id) return;
        state.sessionId = id;
        storeSet("session", id);
        state.ready = true;
        state.everConnected = true;
        setStatus("online");
        flush();
      });
      socket.on("bot_uttered", onBotUttered);
      socket.on("disconnect", function (reason) {
        state.ready = false;
        setStatus("offline");
        setTyping(false);
        // The server closed the socket on purpose: socket.io does not retry by itself.
        if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 1000);
      });
      socket.on("connect_error", function () {
        setStatus(state.everConnected ? "offline" : "connecting");
      });
    }, function () {
      setStatus("offline");
      setTimeout(ensureConnected, 5000);
    });
  }
  window.addEventListener("online", function () { if (socket && !socket.connected) socket.connect(); });

  // ------------------------------------------------------------------ start ----
  function mount() {
    document.body.appendChild(host);
    renderAll();
    setStatus("connecting");
    // Connect right away when there is history or an outbox to deliver, or the visitor
    // had the chat open before this reload; otherwise on first open.
    var hasQueued = state.entries.some(function (e) { return e.status === "queued"; });
    if (cfg.open || sessionFlag("open")) openPanel(false);
    else if (hasQueued || state.entries.length) ensureConnected();
  }

  window.DebtChat = {
    __loaded: true,
    open: function () { openPanel(); },
    close: closePanel,
    toggle: function () { panel.hidden ? openPanel() : closePanel(); },
    send: function (text) { send(text, text); },
    // for tests and support staff: the live socket.io connection (or null)
    get socket() { return socket; },
    get sessionId() { return state.sessionId; },
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
