// What both phones of the sandbox chat page share — chat.js (Telegram) and zalo.js (Zalo) add only what
// their messenger does differently: talking to the sandbox's control API, the bot's name and avatar,
// the "đang soạn tin…" line, toasts, and polling one person's chat for what changed.
// Query parameter: ?api=<control API base URL> (default: this origin).
(() => {
  "use strict";

  const params = new URLSearchParams(location.search);
  const API = (params.get("api") || location.origin).replace(/\/$/, "");
  const ACTIVITY = {
    typing: "đang soạn tin…", record_voice: "đang ghi âm…", upload_voice: "đang gửi tin thoại…",
    upload_document: "đang gửi tệp…", upload_photo: "đang gửi ảnh…",
  };

  async function call(path, body) {
    const init = body === undefined ? {} : body instanceof FormData
      ? { method: "POST", body }
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
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

  // A poll of one person's chat: `load(person)` asks the sandbox, `apply(data, nearBottom)` draws it and
  // says whether anything arrived (then the chat scrolls down if it was near the bottom). One poll at a
  // time; an answer for a person no longer shown is dropped.
  function chatPoller({ box, person, load, apply, failed }) {
    let busy = false;
    return async function poll() {
      const asked = person();
      if (!asked || busy) return;
      busy = true;
      try {
        const data = await load(asked);
        if (asked !== person()) return; // another person was chosen meanwhile
        const nearBottom = box().scrollHeight - box().scrollTop - box().clientHeight < 120;
        if (apply(data) && nearBottom) box().scrollTop = box().scrollHeight;
      } catch (error) {
        failed(error);
      } finally {
        busy = false;
      }
    };
  }

  window.SandboxPhone = { params, API, call, timeOfDay, showBot, showActivity, toast, chatPoller };
})();
