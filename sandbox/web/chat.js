// The sandbox chat page: act as any simulated person and use the bot as on a phone.
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const API = (params.get("api") || location.origin).replace(/\/$/, "");
  const BOT = params.get("bot") || "default";
  const state = { users: [], current: null, version: -1, keyboard: null };
  const $ = (id) => document.getElementById(id);

  async function call(path, body) {
    const response = await fetch(API + path, body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    return response.json();
  }

  // Telegram's HTML subset, nothing more: the page never renders markup the bot did not mean.
  const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "A", "CODE", "PRE", "BLOCKQUOTE", "SPAN"]);
  function sanitize(html) {
    const doc = new DOMParser().parseFromString(`<div>${html}</div>`, "text/html");
    const out = document.createElement("div");
    (function copy(from, to) {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) { to.appendChild(document.createTextNode(node.textContent)); continue; }
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (!ALLOWED.has(node.tagName)) { copy(node, to); continue; }
        const el = document.createElement(node.tagName);
        if (node.tagName === "A" && /^https?:/.test(node.getAttribute("href") || "")) {
          el.href = node.getAttribute("href"); el.target = "_blank"; el.rel = "noopener";
        }
        copy(node, el);
        to.appendChild(el);
      }
    })(doc.body.firstChild, out);
    return out;
  }

  function toast(text) {
    const el = document.createElement("div");
    el.className = "toast";
    el.textContent = text;
    $("messages").appendChild(el);
    el.scrollIntoView({ block: "end" });
    setTimeout(() => el.remove(), 4000);
  }

  function renderMessage(m) {
    const bubble = document.createElement("div");
    bubble.className = "bubble " + (m.from === "bot" ? "bot" : "me") + (m.edits && m.edits.length ? " edited" : "");
    bubble.dataset.messageId = m.message_id;
    const body = document.createElement("div");
    body.className = "text";
    if (m.html) body.appendChild(sanitize(m.html));
    else body.textContent = m.text || m.caption || (m.contact ? "📱 " + m.contact.phone_number : "");
    const a = m.attachment;
    if (a) {
      const src = API + a.url;
      if (a.kind === "voice" || a.kind === "audio") {
        const audio = document.createElement("audio");
        audio.controls = true; audio.preload = "none"; audio.src = src;
        bubble.appendChild(audio);
        if (a.duration) { const d = document.createElement("small"); d.textContent = ` 🔊 ${a.duration} giây`; bubble.appendChild(d); }
      } else if (a.kind === "photo") {
        const img = document.createElement("img"); img.src = src; img.alt = "ảnh"; bubble.appendChild(img);
      } else {
        const link = document.createElement("a");
        link.className = "doc"; link.href = src; link.download = a.file_name || "tai-lieu";
        link.textContent = "📄 " + (a.file_name || "Tài liệu");
        bubble.appendChild(link);
      }
    }
    bubble.appendChild(body);
    if (m.poll) {
      const poll = document.createElement("div");
      poll.className = "poll";
      const q = document.createElement("b"); q.textContent = "📊 " + m.poll.question; poll.appendChild(q);
      m.poll.options.forEach((option, index) => {
        const b = document.createElement("button");
        b.textContent = option.text;
        b.disabled = m.poll.is_closed;
        b.onclick = async () => {
          await call(`/sandbox/bots/${BOT}/users/${state.current.id}/poll_answer`, { poll_id: m.poll.id, option_ids: [index] });
          poll.querySelectorAll("button").forEach((x) => (x.disabled = true));
          b.textContent = "✔ " + b.textContent;
        };
        poll.appendChild(b);
      });
      bubble.appendChild(poll);
    }
    const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
    if (rows.length) {
      const grid = document.createElement("div");
      grid.className = "inline";
      for (const row of rows) {
        const r = document.createElement("div"); r.className = "row";
        for (const button of row) {
          const b = document.createElement("button");
          b.textContent = button.text;
          b.onclick = async () => {
            if (button.url) { window.open(button.url, "_blank", "noopener"); return; }
            b.disabled = true;
            const answer = await call(`/sandbox/bots/${BOT}/users/${state.current.id}/press`, { message_id: m.message_id, data: button.callback_data });
            b.disabled = false;
            if (answer && answer.text) toast(answer.text);
          };
          r.appendChild(b);
        }
        grid.appendChild(r);
      }
      bubble.appendChild(grid);
    }
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = m.date ? new Date(m.date * 1000).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "";
    bubble.appendChild(time);
    return bubble;
  }

  function renderKeyboard(keyboard, chatIsEmpty) {
    const box = $("keyboard");
    box.innerHTML = "";
    if (chatIsEmpty) {
      // Like Telegram: a new chat offers one big START button, which sends /start.
      const b = document.createElement("button");
      b.className = "start";
      b.textContent = "BẮT ĐẦU";
      b.onclick = () => sendText("/start");
      box.appendChild(b);
      return;
    }
    if (!keyboard || !keyboard.keyboard) return;
    for (const row of keyboard.keyboard) {
      const r = document.createElement("div"); r.className = "row";
      for (const button of row) {
        const b = document.createElement("button");
        b.textContent = button.text;
        b.onclick = () => (button.request_contact ? shareContact() : sendText(button.text));
        r.appendChild(b);
      }
      box.appendChild(r);
    }
  }

  async function refresh(force) {
    if (!state.current) return;
    const data = await call(`/sandbox/bots/${BOT}/chats/${state.current.id}`);
    if (!force && data.version === state.version) return;
    state.version = data.version;
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.innerHTML = "";
    for (const m of data.messages) if (!m.deleted) box.appendChild(renderMessage(m));
    renderKeyboard(data.keyboard, data.messages.length === 0);
    if (nearBottom || force) box.scrollTop = box.scrollHeight;
  }

  async function sendText(text) {
    if (!state.current || !text.trim()) return;
    await call(`/sandbox/bots/${BOT}/users/${state.current.id}/text`, { text });
    setTimeout(() => refresh(true), 150);
  }

  async function shareContact() {
    const phone = state.current.phone_number || prompt("Số điện thoại của đồng chí:");
    if (!phone) return;
    await call(`/sandbox/bots/${BOT}/users/${state.current.id}/contact`, { phone_number: phone });
    setTimeout(() => refresh(true), 150);
  }

  async function sendSampleVoice() {
    if (!state.current) return;
    const sample = await fetch(API + "/sandbox/sample-voice");
    const bytes = new Uint8Array(await sample.arrayBuffer());
    let binary = ""; bytes.forEach((b) => (binary += String.fromCharCode(b)));
    await call(`/sandbox/bots/${BOT}/users/${state.current.id}/voice`, { data_base64: btoa(binary), duration: 2 });
    setTimeout(() => refresh(true), 150);
  }

  function choose(user, button) {
    state.current = user; state.version = -1;
    document.querySelectorAll(".people button").forEach((b) => b.classList.remove("active"));
    button.classList.add("active");
    $("who").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ") + (user.label ? " — " + user.label : "");
    refresh(true);
  }

  async function loadPeople() {
    const data = await call("/sandbox/users");
    state.users = data.users;
    const list = $("people");
    list.innerHTML = "";
    for (const user of state.users) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.textContent = [user.first_name, user.last_name].filter(Boolean).join(" ");
      b.dataset.userId = user.id;
      if (user.label) { const s = document.createElement("span"); s.className = "role"; s.textContent = user.label; b.appendChild(s); }
      b.onclick = () => choose(user, b);
      li.appendChild(b); list.appendChild(li);
    }
    const wanted = params.get("user");
    const first = [...list.querySelectorAll("button")].find((b) => b.dataset.userId === wanted) || list.querySelector("button");
    if (first && !state.current) first.click();
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    sendText(input.value);
    input.value = "";
  });
  $("record").addEventListener("click", sendSampleVoice);
  loadPeople();
  setInterval(() => refresh(false).catch(() => {}), 1000);
})();
