// The Zalo phone of the sandbox chat page: a Zalo-styled chat with the sandbox's Zalo bot.
// Zalo has no buttons and no formatting: plain text bubbles (links clickable), images, stickers.
// What both phones share is in phone.js; chat.js decides whose phone it is: window.ZaloPhone.show(zaloPerson or null).
// Query parameter: ?zalo_bot=<token or bot id> (default: the sandbox's first Zalo bot).
(() => {
  "use strict";

  const phone = window.SandboxPhone;
  const BOT = encodeURIComponent(phone.params.get("zalo_bot") || "default");
  const $ = (id) => document.getElementById(id);
  const state = { person: null, version: 0, seen: new Set(), botLoaded: false };

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
    time.textContent = phone.timeOfDay(m.date);
    bubble.appendChild(time);
    return bubble;
  }

  function showHeader(action) {
    phone.showActivity($("zalo-who"), action, state.person ? `Zalo của ${state.person.display_name}` : "Zalo");
  }

  // Zalo messages never change once sent: only new ones are drawn.
  function apply(data) {
    let arrived = false;
    for (const m of data.messages) {
      if (state.seen.has(m.message_id)) continue;
      state.seen.add(m.message_id);
      $("zalo-messages").appendChild(renderMessage(m));
      arrived = true;
    }
    state.version = data.version;
    showHeader(data.action);
    return arrived;
  }

  const poll = phone.chatPoller({
    box: () => $("zalo-messages"),
    person: () => state.person,
    version: () => state.version,
    load: (person, after, signal) => phone.call(
      `/sandbox/zalo/bots/${BOT}/chats/${encodeURIComponent(person.id)}?after=${after}&wait=${phone.WAIT_S}`, undefined, signal),
    apply,
    failed: () => { $("zalo-who").textContent = "Mất kết nối…"; },
  });

  // ------------------------------------------------------------------ what the person does

  async function act(action, body) {
    if (!state.person) return;
    try {
      await phone.call(`/sandbox/zalo/bots/${BOT}/users/${encodeURIComponent(state.person.id)}/${action}`, body || {});
      await poll();
      document.dispatchEvent(new CustomEvent("sotay:acted", { detail: { action } }));  // a trainee's lesson checks again
      const box = $("zalo-messages");
      box.scrollTop = box.scrollHeight;
    } catch (error) {
      phone.toast($("zalo-messages"), "⚠️ " + error.message);
    }
  }

  async function loadBot() {
    try {
      const { bots } = await phone.call("/sandbox/zalo/bots");
      const wanted = decodeURIComponent(BOT);
      const bot = bots.find((b) => b.token === wanted || b.id === wanted.split(":")[0]) || bots[0];
      if (!bot) return;
      state.botLoaded = true;
      phone.showBot($("zalo-bot-name"), $("zalo-bot-avatar"), bot.name);
    } catch (error) { /* the header keeps its default */ }
  }

  function show(person) {
    const zaloPhone = $("zalo-phone");
    if (!person) { state.person = null; zaloPhone.hidden = true; return; }
    if (!state.botLoaded) loadBot();
    if (state.person && state.person.id === person.id) { zaloPhone.hidden = false; return; }
    state.person = person;
    state.version = 0;
    state.seen.clear();
    $("zalo-messages").innerHTML = "";
    zaloPhone.hidden = false;
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

  poll.follow();
  window.ZaloPhone = { show };
})();
