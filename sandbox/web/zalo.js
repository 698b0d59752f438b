// The Zalo phone of the sandbox chat page: a Zalo-styled chat with the sandbox's Zalo bot.
// Zalo has no buttons and no formatting: plain text bubbles (links clickable), images, stickers.
// chat.js decides whose phone it is: window.ZaloPhone.show(zaloPerson or null).
// Query parameter: ?zalo_bot=<token or bot id> (default: the sandbox's first Zalo bot).
(() => {
  "use strict";

  const params = new URLSearchParams(location.search);
  const API = (params.get("api") || location.origin).replace(/\/$/, "");
  const BOT = encodeURIComponent(params.get("zalo_bot") || "default");
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  const state = { person: null, version: 0, seen: new Set(), polling: false, botLoaded: false };

  async function call(path, body) {
    const init = body === undefined ? {} : body instanceof FormData
      ? { method: "POST", body }
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(API + path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.description || `HTTP ${response.status}`);
    return data;
  }

  // ------------------------------------------------------------------ rendering

  // Links in plain text become clickable, as in the Zalo app; everything else stays text.
  function linkified(text) {
    const fragment = document.createDocumentFragment();
    const pattern = /\bhttps?:\/\/[^\s<>"]+/gi;
    let position = 0;
    for (const match of text.matchAll(pattern)) {
      const url = match[0].replace(/[).,;:!?]+$/, "");
      fragment.appendChild(document.createTextNode(text.slice(position, match.index)));
      const a = document.createElement("a");
      a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = url;
      fragment.appendChild(a);
      position = match.index + url.length;
    }
    fragment.appendChild(document.createTextNode(text.slice(position)));
    return fragment;
  }

  function clock(ms) {
    return ms ? new Date(ms).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "";
  }

  function renderMessage(m) {
    const bubble = document.createElement("div");
    bubble.className = "zbubble " + (m.from === "bot" ? "zbot" : "zme") + " z" + m.kind;
    bubble.dataset.messageId = m.message_id;
    if (m.kind === "image" && (m.image_url || m.photo)) {
      const img = document.createElement("img");
      img.src = m.image_url || m.photo; img.alt = "Ảnh"; img.loading = "lazy";
      bubble.appendChild(img);
    } else if (m.kind === "sticker") {
      const sticker = document.createElement("span");
      sticker.className = "zsticker"; sticker.textContent = "🙂";
      sticker.title = "Nhãn dán " + (m.sticker || "");
      bubble.appendChild(sticker);
    } else if (m.kind === "unsupported") {
      const note = document.createElement("i");
      note.textContent = "Tin nhắn không hỗ trợ";
      bubble.appendChild(note);
    }
    const text = m.text || m.caption;
    if (text) {
      const body = document.createElement("div");
      body.className = "text";
      body.appendChild(linkified(text));
      bubble.appendChild(body);
    }
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = clock(m.date);
    bubble.appendChild(time);
    return bubble;
  }

  function showHeader(action) {
    const who = $("zalo-who");
    const doing = { typing: "đang soạn tin…", upload_photo: "đang gửi ảnh…" }[action];
    who.textContent = doing || (state.person ? `Zalo của ${state.person.display_name}` : "Zalo");
    who.classList.toggle("typing", Boolean(doing));
  }

  async function poll() {
    if (!state.person || state.polling) return;
    state.polling = true;
    const person = state.person;
    try {
      const data = await call(`/sandbox/zalo/bots/${BOT}/chats/${encodeURIComponent(person.id)}?after=${state.version}`);
      if (person !== state.person) return; // another person was chosen meanwhile
      const box = $("zalo-messages");
      const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
      let arrived = false;
      for (const m of data.messages) {
        if (state.seen.has(m.message_id)) continue; // Zalo messages never change once sent
        state.seen.add(m.message_id);
        box.appendChild(renderMessage(m));
        arrived = true;
      }
      state.version = data.version;
      showHeader(data.action);
      if (arrived && nearBottom) box.scrollTop = box.scrollHeight;
    } catch (error) {
      $("zalo-who").textContent = "Mất kết nối…";
    } finally {
      state.polling = false;
    }
  }

  // ------------------------------------------------------------------ what the person does

  async function act(action, body) {
    if (!state.person) return;
    try {
      await call(`/sandbox/zalo/bots/${BOT}/users/${encodeURIComponent(state.person.id)}/${action}`, body || {});
      await poll();
      document.dispatchEvent(new CustomEvent("sotay:acted", { detail: { action } }));  // a trainee's lesson checks again
      const box = $("zalo-messages");
      box.scrollTop = box.scrollHeight;
    } catch (error) {
      const note = document.createElement("div");
      note.className = "toast"; note.setAttribute("role", "status"); note.textContent = "⚠️ " + error.message;
      $("zalo-messages").appendChild(note);
      setTimeout(() => note.remove(), 4000);
    }
  }

  async function loadBot() {
    try {
      const { bots } = await call("/sandbox/zalo/bots");
      const wanted = decodeURIComponent(BOT);
      const bot = bots.find((b) => b.token === wanted || b.id === wanted.split(":")[0]) || bots[0];
      if (!bot) return;
      state.botLoaded = true;
      $("zalo-bot-name").textContent = bot.name;
      $("zalo-bot-avatar").textContent = bot.name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
    } catch (error) { /* the header keeps its default */ }
  }

  function show(person) {
    const phone = $("zalo-phone");
    if (!person) { state.person = null; phone.hidden = true; return; }
    if (!state.botLoaded) loadBot();
    if (state.person && state.person.id === person.id) { phone.hidden = false; return; }
    state.person = person;
    state.version = 0;
    state.seen.clear();
    $("zalo-messages").innerHTML = "";
    phone.hidden = false;
    showHeader(null);
    poll();
  }

  $("zalo-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("zalo-text");
    const text = input.value;
    input.value = "";
    if (text.trim()) act("text", { text });
  });
  $("zalo-attach").addEventListener("click", () => $("zalo-file").click());
  $("zalo-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    act("image", form);
  });
  $("zalo-sticker").addEventListener("click", () => act("sticker", {}));

  setInterval(poll, POLL_MS);
  window.ZaloPhone = { show };
})();
