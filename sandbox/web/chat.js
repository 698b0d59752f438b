// The sandbox chat page: act as any simulated person and use the bot as on a phone.
// Query parameters: ?api=<control API base URL> (default: this origin), ?bot=<token or username>, ?user=<id>,
// ?zalo=<Zalo person id> (a person who is only on Zalo; zalo.js draws the Zalo phone). What both phones
// share is in phone.js.
(() => {
  "use strict";

  const phone = window.SandboxPhone;
  const { params, API, call } = phone;
  const BOT = encodeURIComponent(params.get("bot") || "default");
  const PEOPLE_MS = 5000;
  const $ = (id) => document.getElementById(id);

  const state = {
    users: [],
    zaloUsers: [],   // the sandbox's Zalo people (a separate list; `telegram_id` links the same human)
    current: null,   // the person whose phone this is
    zaloOnly: null,  // or a person who is only on Zalo (then the Telegram phone is hidden)
    version: 0,      // the sandbox's change counter: we ask only for what changed after it
    bubbles: new Map(), // message_id → bubble element
    keyboard: null,  // the reply keyboard markup shown now
    keyboardJson: "",
    keyboardHidden: false,
    keyboardShownByHand: false,
    keyboardFoldedByHand: false,
    blocked: false,
  };

  // ------------------------------------------------------------------ talking to the sandbox

  const personPath = (action) => `/sandbox/bots/${BOT}/users/${state.current.id}/${action}`;

  // What the sandbox refuses, said in Vietnamese (the API's English "Bad Request: …" is for bots, not people).
  const REFUSALS = [
    [/too long/i, "Tin nhắn quá dài."],
    [/too big|too large/i, "Tệp quá lớn."],
    [/empty/i, "Tin nhắn trống."],
    [/blocked/i, "Đồng chí đã chặn bot này."],
    [/not found/i, "Không tìm thấy tin nhắn hoặc người dùng này."],
  ];

  function refusal(error) {
    const known = REFUSALS.find(([pattern]) => pattern.test(error.message || ""));
    return "⚠️ Không gửi được. " + (known ? known[1] : "Đồng chí thử lại sau giây lát.");
  }

  async function act(action, body) {
    if (!state.current) return null;
    try {
      const result = await call(personPath(action), body || {});
      poll();
      document.dispatchEvent(new CustomEvent("sotay:acted", { detail: { action } }));
      return result;
    } catch (error) {
      toast(refusal(error));
      return null;
    }
  }

  // Telegram's apps send a text longer than one message allows as several messages, cut at the last
  // line break (else the last space) before the limit; only that one break or space is dropped.
  const MAX_TEXT = 4096;
  function splitLongText(text, limit = MAX_TEXT) {
    const parts = [];
    let rest = text;
    while (rest.length > limit) {
      const window = rest.slice(0, limit);
      let cut = window.lastIndexOf("\n");
      if (cut < limit / 2) cut = window.lastIndexOf(" ");
      if (cut < limit / 2) cut = limit;
      // never between the two halves of a surrogate pair
      if (cut === limit && /[\uD800-\uDBFF]/.test(rest[cut - 1])) cut -= 1;
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut).replace(/^[ \n]/, "");
    }
    if (rest.trim()) parts.push(rest);
    return parts;
  }

  // ------------------------------------------------------------------ formatted text

  // Telegram's entities, offsets in UTF-16 code units — which is what JavaScript strings index.
  function formatted(text, entities) {
    const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
    const fragment = document.createDocumentFragment();
    build(fragment, text || "", sorted, 0, (text || "").length);
    return fragment;
  }

  function build(parent, text, entities, from, to) {
    let position = from;
    let index = 0;
    while (index < entities.length) {
      const entity = entities[index];
      const end = entity.offset + entity.length;
      let next = index + 1;
      while (next < entities.length && entities[next].offset < end) next++;
      if (entity.offset >= position && end <= to) {
        parent.appendChild(document.createTextNode(text.slice(position, entity.offset)));
        const element = entityElement(entity, text.slice(entity.offset, end));
        const inner = entities.slice(index + 1, next).filter((e) => e.offset + e.length <= end);
        build(element, text, inner, entity.offset, end);
        parent.appendChild(element);
        position = end;
      }
      index = next;
    }
    parent.appendChild(document.createTextNode(text.slice(position, to)));
  }

  function link(href) {
    const a = document.createElement("a");
    if (/^(https?:|mailto:|tel:)/i.test(href)) { a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer"; }
    return a;
  }

  function entityElement(entity, content) {
    switch (entity.type) {
      case "bold": return document.createElement("b");
      case "italic": return document.createElement("i");
      case "underline": return document.createElement("u");
      case "strikethrough": return document.createElement("s");
      case "code": return document.createElement("code");
      case "pre": return document.createElement("pre");
      case "blockquote": case "expandable_blockquote": return document.createElement("blockquote");
      case "text_link": return link(entity.url || "");
      case "url": return link(/^https?:/i.test(content) ? content : "http://" + content);
      case "email": return link("mailto:" + content);
      case "phone_number": return link("tel:" + content);
      case "spoiler": {
        const span = document.createElement("span");
        span.className = "spoiler";
        span.title = "Chạm để xem";
        span.onclick = () => span.classList.add("shown");
        return span;
      }
      case "bot_command": {
        // As in Telegram, tapping a command sends it.
        const span = document.createElement("span");
        span.className = "command";
        span.onclick = () => sendText(content);
        return span;
      }
      default: return document.createElement("span");
    }
  }

  // ------------------------------------------------------------------ one message

  function renderAttachment(bubble, a) {
    const src = API + a.url;
    if (a.kind === "voice" || a.kind === "audio") {
      const audio = document.createElement("audio");
      audio.controls = true; audio.preload = "none"; audio.src = src;
      audio.setAttribute("aria-label", a.kind === "voice" ? "Tin nhắn thoại" : "Âm thanh");
      bubble.appendChild(audio);
      if (a.duration) {
        const d = document.createElement("small");
        d.textContent = `🔊 ${a.duration} giây`;
        bubble.appendChild(d);
      }
    } else if (a.kind === "photo") {
      const img = document.createElement("img");
      img.src = src; img.alt = "Ảnh"; img.loading = "lazy";
      bubble.appendChild(img);
    } else {
      const doc = document.createElement("a");
      doc.className = "doc"; doc.href = src; doc.download = a.file_name || "tai-lieu";
      const size = a.size ? ` (${Math.max(1, Math.round(a.size / 1024))} KB)` : "";
      doc.textContent = "📄 " + (a.file_name || "Tài liệu") + size;
      bubble.appendChild(doc);
    }
  }

  function renderPoll(m) {
    const poll = m.poll;
    const box = document.createElement("div");
    box.className = "poll";
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = (poll.type === "quiz" ? "Câu đố" : "Bình chọn") + (poll.is_anonymous ? " ẩn danh" : "") +
      (poll.is_closed ? " · đã đóng" : "");
    box.appendChild(kind);
    const question = document.createElement("b");
    question.textContent = poll.question;
    box.appendChild(question);

    const chosen = m.poll_choice || [];
    const showResults = poll.is_closed || chosen.length > 0;
    const total = poll.total_voter_count || 0;
    const correct = poll.correct_option_ids || (poll.correct_option_id != null ? [poll.correct_option_id] : []);
    const picked = new Set();

    poll.options.forEach((option, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "option";
      const label = document.createElement("span");
      label.className = "label";
      const text = document.createElement("span");
      text.textContent = (chosen.includes(index) ? "✔ " : "") + option.text;
      label.appendChild(text);
      if (showResults) {
        const share = total ? Math.round((100 * option.voter_count) / total) : 0;
        const bar = document.createElement("span");
        bar.className = "bar"; bar.style.width = share + "%";
        button.appendChild(bar);
        const count = document.createElement("span");
        count.textContent = `${share}%`;
        label.appendChild(count);
        if (poll.type === "quiz" && correct.includes(index)) button.classList.add("correct");
        if (poll.type === "quiz" && chosen.includes(index) && !correct.includes(index)) button.classList.add("wrong");
      }
      button.appendChild(label);
      const locked = poll.is_closed || (chosen.length > 0 && !poll.allows_revoting);
      button.disabled = locked;
      button.onclick = async () => {
        if (poll.allows_multiple_answers) {
          picked.has(index) ? picked.delete(index) : picked.add(index);
          button.classList.toggle("selected", picked.has(index));
          return;
        }
        const result = await act("poll_answer", { poll_id: poll.id, option_ids: [index] });
        if (result && result.correct === true) toast("🎉 Chính xác!");
        if (result && result.correct === false) toast(poll.explanation ? "❌ " + poll.explanation : "❌ Chưa đúng");
      };
      box.appendChild(button);
    });
    if (poll.allows_multiple_answers && !poll.is_closed) {
      const submit = document.createElement("button");
      submit.type = "button"; submit.className = "submit"; submit.textContent = "Bình chọn";
      submit.onclick = () => act("poll_answer", { poll_id: poll.id, option_ids: [...picked].sort() });
      box.appendChild(submit);
    }
    const count = document.createElement("div");
    count.className = "total";
    count.textContent = `${total} người đã trả lời`;
    box.appendChild(count);
    return box;
  }

  // Rows of buttons (an inline keyboard under a message, or the reply keyboard): `press(spec, button)` on a tap.
  function buttonRows(parent, rows, press) {
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "row";
      for (const spec of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = spec.text;
        button.onclick = () => press(spec, button);
        line.appendChild(button);
      }
      parent.appendChild(line);
    }
  }

  function renderInlineKeyboard(m) {
    const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
    if (!rows.length) return null;
    const grid = document.createElement("div");
    grid.className = "inline";
    buttonRows(grid, rows, async (spec, button) => {
      if (spec.url) { window.open(spec.url, "_blank", "noopener"); return; }
      if (spec.callback_data == null) { toast("Nút này không dùng được trong bản thử nghiệm"); return; }
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
      const answer = await act("press", { message_id: m.message_id, data: spec.callback_data, wait: 5 });
      button.removeAttribute("aria-busy");
      button.disabled = false;
      if (answer && answer.text) answer.show_alert ? showAlert(answer.text) : toast(answer.text);
    });
    return grid;
  }

  function renderMessage(m) {
    const bubble = document.createElement("div");
    bubble.className = "bubble " + (m.from === "bot" ? "bot" : "me") + (m.edits && m.edits.length ? " edited" : "");
    bubble.dataset.messageId = m.message_id;
    if (m.reply_to) {
      const quoted = state.bubbles.get(m.reply_to);
      const quote = document.createElement("div");
      quote.className = "quote";
      quote.textContent = quoted ? (quoted.querySelector(".text") || quoted).textContent.slice(0, 80) : "Tin nhắn trước";
      bubble.appendChild(quote);
    }
    if (m.attachment) renderAttachment(bubble, m.attachment);
    if (m.contact) {
      const contact = document.createElement("span");
      contact.className = "contact";
      contact.textContent = `📱 ${m.contact.first_name || ""} ${m.contact.phone_number}`.trim();
      bubble.appendChild(contact);
    }
    const body = document.createElement("div");
    body.className = "text";
    body.appendChild(formatted(m.text || m.caption || "", m.entities));
    bubble.appendChild(body);
    if (m.poll) bubble.appendChild(renderPoll(m));
    const inline = renderInlineKeyboard(m);
    if (inline) bubble.appendChild(inline);
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = phone.timeOfDay((m.edit_date || m.date) * 1000);
    bubble.appendChild(time);
    return bubble;
  }

  // ------------------------------------------------------------------ the chat

  function upsert(m) {
    const box = $("messages");
    const existing = state.bubbles.get(m.message_id);
    if (m.deleted) {
      if (existing) existing.remove();
      state.bubbles.delete(m.message_id);
      return;
    }
    const bubble = renderMessage(m);
    if (existing) existing.replaceWith(bubble);
    else box.appendChild(bubble);
    state.bubbles.set(m.message_id, bubble);
  }

  function renderKeyboard() {
    const box = $("keyboard");
    box.innerHTML = "";
    $("text").placeholder = (state.keyboard && state.keyboard.input_field_placeholder) || "Nhập tin nhắn…";
    $("show-keyboard").hidden = !(state.keyboard && state.keyboardHidden);
    $("hide-keyboard").hidden = !(state.keyboard && !state.keyboardHidden && (state.keyboard.keyboard || []).length);
    if (state.blocked) return;
    if (state.bubbles.size === 0) {
      // Like Telegram: a new chat offers one big START button, which sends /start.
      const start = document.createElement("button");
      start.type = "button"; start.className = "start"; start.textContent = "BẮT ĐẦU";
      start.onclick = () => sendText("/start");
      box.appendChild(start);
      return;
    }
    if (!state.keyboard || state.keyboardHidden) return;
    buttonRows(box, state.keyboard.keyboard || [], (spec) => (spec.request_contact ? shareContact(spec.text) : tap(spec.text)));
  }

  function showHeader(action) {
    const name = state.current ? state.current.display_name || state.current.first_name : "chưa chọn người dùng";
    phone.showActivity($("who"), action,
      state.current ? `Đang dùng với tư cách: ${name}${state.current.label ? " — " + state.current.label : ""}` : name);
  }

  // Telegram messages change (edits, deletions) and the reply keyboard comes with the chat.
  function apply(data) {
    const box = $("messages");
    const arrived = data.messages.some((m) => !state.bubbles.has(m.message_id) && !m.deleted);
    data.messages.forEach(upsert);
    state.version = data.version;
    const wasBlocked = state.blocked;
    state.blocked = data.blocked;
    $("blocked").hidden = !data.blocked;
    $("composer").hidden = data.blocked;
    $("block").title = data.blocked ? "Bỏ chặn bot" : "Chặn bot";
    const keyboardJson = JSON.stringify(data.keyboard);
    if (keyboardJson !== state.keyboardJson) { state.keyboardShownByHand = false; state.keyboardFoldedByHand = false; } // a new keyboard opens by itself
    // A one-time keyboard folds away once used; ⌨️ brings it back, as in Telegram.
    const hidden = (Boolean(data.keyboard_collapsed) && !state.keyboardShownByHand) || Boolean(state.keyboardFoldedByHand);
    const redraw = keyboardJson !== state.keyboardJson || hidden !== state.keyboardHidden || arrived || !box.firstChild;
    state.keyboard = data.keyboard;
    state.keyboardJson = keyboardJson;
    state.keyboardHidden = hidden;
    if (redraw || data.blocked !== wasBlocked) renderKeyboard();
    showHeader(data.action);
    return arrived;
  }

  const poll = phone.chatPoller({
    box: () => $("messages"),
    person: () => state.current,
    version: () => state.version,
    load: async (person, after, signal) => {
      const data = await call(`/sandbox/bots/${BOT}/chats/${person.id}?after=${after}&wait=${phone.WAIT_S}`, undefined, signal);
      $("connection").hidden = true;
      return data;
    },
    apply,
    failed: () => { $("connection").hidden = false; },
  });

  // ------------------------------------------------------------------ what the person does

  async function sendText(text) {
    if (!state.current || !text.trim()) return;
    state.keyboardShownByHand = false;
    for (const part of splitLongText(text)) {
      if (!(await act("text", { text: part }))) return false; // what failed stays in the composer
    }
    scrollDown();
    return true;
  }

  function tap(label) {
    state.keyboardShownByHand = false;
    act("tap", { text: label }).then(scrollDown);
  }

  async function shareContact(label) {
    // The sandbox shares the phone in the person's profile; without one, ask for it.
    if (state.current.phone_number) { tap(label); return; }
    const phone = prompt("Số điện thoại của đồng chí:");
    if (phone) act("contact", { phone_number: phone }).then(scrollDown);
  }

  async function sendSampleVoice() {
    if (!state.current) return;
    const sample = await fetch(API + "/sandbox/sample-voice");
    if (!sample.ok) { toast("⚠️ Không tạo được tin nhắn thoại mẫu"); return; }
    const form = new FormData();
    form.append("file", new Blob([await sample.arrayBuffer()], { type: "audio/ogg" }), "voice.ogg");
    act("voice", form).then(scrollDown);
  }

  function sendFile(file) {
    if (!state.current || !file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    if (file.type) form.append("mime_type", file.type);
    act(/^image\/(jpeg|png)$/.test(file.type) ? "photo" : "document", form).then(scrollDown);
  }

  async function setBlocked(blocked) {
    await act(blocked ? "block" : "unblock");
  }

  function scrollDown() {
    setTimeout(() => { const box = $("messages"); box.scrollTop = box.scrollHeight; }, 300);
  }

  function toast(text) {
    phone.toast($("messages"), text);
  }

  function showAlert(text) {
    const dialog = $("alert");
    $("alert-text").textContent = text;
    if (typeof dialog.showModal === "function") dialog.showModal(); else alert(text);
  }

  // ------------------------------------------------------------------ people

  function zaloOf(user) {
    return state.zaloUsers.find((z) => z.telegram_id === user.id) || null;
  }

  function showZalo(person) {
    if (window.ZaloPhone) window.ZaloPhone.show(person);
  }

  function chooseZaloOnly(person, button) {
    closePicker(person.display_name);
    state.current = null;
    state.zaloOnly = person;
    $("telegram-phone").hidden = true;
    markChosen(button, "zalo", person.id);
    showZalo(person);
  }

  // The chosen person's button is marked, and the address says whose phone this is (?user= or ?zalo=).
  function markChosen(button, key, id) {
    document.querySelectorAll(".people li button").forEach((b) => b.classList.remove("active"));
    button.classList.add("active");
    const url = new URL(location.href);
    url.searchParams.delete(key === "zalo" ? "user" : "zalo");
    url.searchParams.set(key, id);
    history.replaceState(null, "", url);
  }

  function closePicker(name) {
    $("people-current").textContent = name;
    document.querySelector(".people").classList.remove("open");
    $("people-toggle").setAttribute("aria-expanded", "false");
  }

  function choose(user, button) {
    closePicker(user.display_name || user.first_name);
    state.zaloOnly = null;
    $("telegram-phone").hidden = false;
    showZalo(zaloOf(user)); // the same human's Zalo phone, beside the Telegram one
    state.current = user;
    state.version = 0;
    state.bubbles.clear();
    state.keyboard = null; state.keyboardJson = ""; state.keyboardHidden = false; state.keyboardShownByHand = false;
    state.keyboardFoldedByHand = false;
    $("messages").innerHTML = "";
    markChosen(button, "user", user.id);
    showHeader(null);
    poll().then(scrollDown);
  }

  // Marks the messengers a person is on, when the sandbox has Zalo people at all.
  function messengerMarks(onTelegram, onZalo) {
    const marks = document.createElement("span");
    marks.className = "messengers";
    for (const [on, kind, label] of [[onTelegram, "telegram", "Telegram"], [onZalo, "zalo", "Zalo"]]) {
      if (!on) continue;
      const mark = document.createElement("span");
      mark.className = "messenger " + kind; mark.textContent = label;
      marks.appendChild(mark);
    }
    return marks;
  }

  // A person in the list: name, role, the messengers they are on; `active` when their phone is shown.
  function personItem(name, label, dataset, marks, active, onChoose) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name;
    Object.assign(button.dataset, dataset);
    if (label) {
      const role = document.createElement("span");
      role.className = "role"; role.textContent = label;
      button.appendChild(role);
    }
    if (marks) button.appendChild(marks);
    if (active) button.classList.add("active");
    button.onclick = () => onChoose(button);
    item.appendChild(button);
    return item;
  }

  function renderPeople() {
    const list = $("people");
    const filter = $("people-filter").value.trim().toLowerCase();
    const withZalo = state.zaloUsers.length > 0;
    list.innerHTML = "";
    for (const user of state.users) {
      const name = user.display_name || [user.first_name, user.last_name].filter(Boolean).join(" ");
      if (filter && !(name + " " + (user.label || "")).toLowerCase().includes(filter)) continue;
      const marks = withZalo ? messengerMarks(true, Boolean(zaloOf(user))) : null;
      const active = Boolean(state.current && state.current.id === user.id);
      list.appendChild(personItem(name, user.label, { userId: user.id }, marks, active, (button) => choose(user, button)));
    }
    const onTelegram = new Set(state.users.map((u) => u.id));
    for (const person of state.zaloUsers) {
      if (person.telegram_id != null && onTelegram.has(person.telegram_id)) continue; // listed with their Telegram self
      if (filter && !(person.display_name + " " + (person.label || "")).toLowerCase().includes(filter)) continue;
      const active = Boolean(state.zaloOnly && state.zaloOnly.id === person.id);
      list.appendChild(personItem(person.display_name, person.label, { zaloId: person.id }, messengerMarks(false, true), active,
        (button) => chooseZaloOnly(person, button)));
    }
  }

  async function loadPeople() {
    try {
      const data = await call("/sandbox/users");
      // Zalo people: an older sandbox without a Zalo side simply has none.
      const zalo = await call("/sandbox/zalo/users").catch(() => ({ users: [] }));
      const changed = JSON.stringify([data.users, zalo.users]) !== JSON.stringify([state.users, state.zaloUsers]);
      state.users = data.users;
      state.zaloUsers = zalo.users;
      $("people-filter").hidden = state.users.length + state.zaloUsers.length < 8;
      if (changed) {
        renderPeople();
        if (state.current) showZalo(zaloOf(state.current)); // a Zalo account linked meanwhile
      }
      if (!state.current && !state.zaloOnly) {
        const wanted = params.get("user");
        const wantedZalo = params.get("zalo");
        const buttons = [...$("people").querySelectorAll("button")];
        const first = buttons.find((b) => (wanted && b.dataset.userId === wanted) || (wantedZalo && b.dataset.zaloId === wantedZalo))
          || buttons[0];
        if (first) first.click();
      }
    } catch (error) {
      $("connection").hidden = false;
    }
  }

  async function loadBot() {
    try {
      const { bots } = await call("/sandbox/bots");
      const wanted = decodeURIComponent(BOT);
      const bot = bots.find((b) => b.username === wanted || String(b.id) === wanted.split(":")[0]) || bots[0];
      if (!bot) return;
      phone.showBot($("bot-name"), $("bot-avatar"), bot.first_name);
      document.title = `${bot.first_name} — thử nghiệm`;
    } catch (error) { /* the header keeps its default */ }
  }

  // ------------------------------------------------------------------ wiring

  function fitComposer() {
    const input = $("text");
    input.style.height = "auto";
    input.style.height = input.scrollHeight + 2 + "px";
  }

  async function submitComposer() {
    const input = $("text");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    fitComposer();
    if ((await sendText(text)) === false && !input.value) { input.value = text; fitComposer(); }
  }

  $("composer").addEventListener("submit", (event) => { event.preventDefault(); submitComposer(); });
  // Enter sends; Shift+Enter starts a new line (a multi-line agenda arrives as it was typed).
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submitComposer(); }
  });
  $("text").addEventListener("input", fitComposer);
  $("hide-keyboard").addEventListener("click", () => {
    state.keyboardHidden = true; state.keyboardShownByHand = false; state.keyboardFoldedByHand = true; renderKeyboard();
  });
  $("people-toggle").addEventListener("click", () => {
    const open = document.querySelector(".people").classList.toggle("open");
    $("people-toggle").setAttribute("aria-expanded", String(open));
  });
  $("record").addEventListener("click", sendSampleVoice);
  $("attach").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", (event) => { sendFile(event.target.files[0]); event.target.value = ""; });
  $("show-keyboard").addEventListener("click", () => {
    state.keyboardHidden = false; state.keyboardShownByHand = true; state.keyboardFoldedByHand = false; renderKeyboard();
  });
  $("block").addEventListener("click", () => setBlocked(!state.blocked));
  $("unblock").addEventListener("click", () => setBlocked(false));
  $("people-filter").addEventListener("input", renderPeople);

  window.SotayChat = { current: () => state.current, splitLongText };
  loadBot();
  loadPeople();
  poll.follow();
  // The list of people changes when someone is added; a trainee's phone shows one person only and needs it once.
  setInterval(() => {
    if (!(document.body.classList.contains("training") && (state.current || state.zaloOnly))) loadPeople();
  }, PEOPLE_MS);
})();
