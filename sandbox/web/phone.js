// What both phones of the sandbox chat page share — chat.js (Telegram) and zalo.js (Zalo) add only what
// their messenger does differently: talking to the sandbox's control API, the bot's name and avatar,
// the "đang soạn tin…" line, toasts, and following one person's chat (a long poll) for what changed.
// Query parameter: ?api=<control API base URL> (default: this origin).
(() => {
  "use strict";

  const params = new URLSearchParams(location.search);
  const API = (params.get("api") || location.origin).replace(/\/$/, "");
  const ACTIVITY = {
    typing: "đang soạn tin…", record_voice: "đang ghi âm…", upload_voice: "đang gửi tin thoại…",
    upload_document: "đang gửi tệp…", upload_photo: "đang gửi ảnh…",
  };

  async function call(path, body, signal) {
    const init = body === undefined ? {} : body instanceof FormData
      ? { method: "POST", body }
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    if (signal) init.signal = signal;
    const response = await fetch(API + path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.description || `HTTP ${response.status}`);
    return data;
  }

  function timeOfDay(ms) {
    return ms ? new Date(ms).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "";
  }

  // The bot's name in a phone's header, and its initials as the avatar.
  function showBot(nameElement, avatarElement, name) {
    nameElement.textContent = name;
    avatarElement.textContent = name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
  }

  // The header's second line: what the bot is doing now, else `idle`.
  function showActivity(element, action, idle) {
    const doing = ACTIVITY[action];
    element.textContent = doing || idle;
    element.classList.toggle("typing", Boolean(doing));
  }

  function toast(box, text) {
    const note = document.createElement("div");
    note.className = "toast";
    note.setAttribute("role", "status");
    note.textContent = text;
    box.appendChild(note);
    note.scrollIntoView({ block: "end" });
    setTimeout(() => note.remove(), 4000);
  }

  // How long the sandbox may hold a chat read (a long poll): it answers the moment that chat changes, so an
  // idle phone costs the sandbox nearly nothing and an answer shows at once.
  const WAIT_S = 25;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // A long poll of one person's chat: `load(person, after, signal)` asks the sandbox for what changed after
  // version `after` (waiting up to WAIT_S seconds), `apply(data)` draws it and says whether anything arrived
  // (then the chat scrolls down if it was near the bottom). One read at a time: `poll()` while one is out for
  // the same person and version joins it (it answers as soon as anything changes); another person chosen (or
  // the version reset) aborts it. `poll()` resolves true when the read was answered and drawn.
  function chatPoller({ box, person, version, load, apply, failed }) {
    let current = null; // { person, after, controller, promise }
    function poll() {
      const asked = person();
      if (!asked) return Promise.resolve(false);
      const after = version();
      if (current && current.person === asked && current.after === after) return current.promise;
      if (current) current.controller.abort();
      const read = { person: asked, after, controller: new AbortController() };
      read.promise = (async () => {
        try {
          const data = await load(asked, after, read.controller.signal);
          if (read.controller.signal.aborted || asked !== person()) return false; // another person was chosen meanwhile
          const nearBottom = box().scrollHeight - box().scrollTop - box().clientHeight < 120;
          if (apply(data) && nearBottom) box().scrollTop = box().scrollHeight;
          return true;
        } catch (error) {
          if (!read.controller.signal.aborted) failed(error);
          return false;
        } finally {
          if (current === read) current = null;
        }
      })();
      current = read;
      return read.promise;
    }
    // Follow the chat for as long as the page is open: the next read goes out the moment one is answered;
    // after a failure (or with nobody chosen) a second's pause.
    poll.follow = async () => {
      for (;;) {
        if (!(await poll())) await sleep(1000);
      }
    };
    return poll;
  }

  window.SandboxPhone = { params, API, WAIT_S, call, timeOfDay, showBot, showActivity, toast, chatPoller };
})();
