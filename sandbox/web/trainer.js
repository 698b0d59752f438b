// The trainer's page: the QR code the phones scan, the room's progress, the next lesson, a new group.
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const KEY = encodeURIComponent(params.get("key") || "");
  const $ = (id) => document.getElementById(id);
  let shownQr = "";

  async function call(path, method = "GET") {
    const response = await fetch(`/training/api/${path}${path.includes("?") ? "&" : "?"}key=${KEY}`, { method });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function render(room) {
    $("group").textContent = `· nhóm ${room.group}`;
    if (room.qr_svg !== shownQr) { $("qr").innerHTML = room.qr_svg; shownQr = room.qr_svg; }
    $("join-link").textContent = room.join_url; $("join-link").href = room.join_url;
    document.querySelectorAll("input[name=track]").forEach((input) => { input.checked = input.value === room.track; });
    document.querySelectorAll("input[name=platform]").forEach((input) => { input.checked = input.value === room.platform; });
    const tracks = Object.keys(room.lessons);
    const head = $("progress").querySelector("thead");
    const body = $("progress").querySelector("tbody");
    const present = new Set(room.trainees.map((t) => t.track));
    const columns = tracks.filter((track) => present.has(track) || track === room.track);
    head.innerHTML = "";
    const row = document.createElement("tr");
    row.appendChild(Object.assign(document.createElement("th"), { textContent: "Học viên" }));
    for (const track of columns) {
      room.lessons[track].forEach((lesson, index) => {
        const th = document.createElement("th");
        th.className = "lesson";
        th.dataset.lesson = lesson.key;
        const opened = index < room.unlocked[track] ? "" : " 🔒";
        th.textContent = `${index + 1}. ${lesson.title}${opened} (${room.finished[lesson.key] || 0})`;
        row.appendChild(th);
      });
    }
    head.appendChild(row);
    body.innerHTML = "";
    for (const trainee of room.trainees) {
      const tr = document.createElement("tr");
      tr.dataset.userId = trainee.user_id;
      if (trainee.stuck) tr.className = "stuck";
      const where = trainee.platform === "zalo" ? " · Zalo" : "";
      tr.appendChild(Object.assign(document.createElement("td"), { textContent: trainee.name + where + (trainee.stuck ? " — cần giúp" : "") }));
      for (const track of columns) {
        for (const lesson of room.lessons[track]) {
          const td = document.createElement("td");
          td.className = "mark";
          td.dataset.lesson = lesson.key;
          if (trainee.track !== track) td.textContent = "";
          else if (trainee.done.includes(lesson.key)) { td.textContent = "✅"; td.classList.add("done"); td.title = "đã xong"; }
          else if (trainee.current === lesson.key) { td.textContent = trainee.stuck ? "⚠️" : "…"; td.classList.add("now"); td.title = "đang làm"; }
          tr.appendChild(td);
        }
      }
      body.appendChild(tr);
    }
    const stuck = room.trainees.filter((t) => t.stuck).length;
    $("summary").textContent = `${room.trainees.length} học viên` + (stuck ? ` · ${stuck} cần giúp` : "");
  }

  async function refresh() {
    try { render(await call("room")); } catch (error) { $("summary").textContent = "Mất kết nối với Sổ tay…"; }
  }

  $("next-member").addEventListener("click", () => call("next?track=member", "POST").then(refresh));
  $("next-secretary").addEventListener("click", () => call("next?track=secretary", "POST").then(refresh));
  $("reset").addEventListener("click", () => {
    if (confirm("Bắt đầu nhóm mới? Các điện thoại của nhóm này sẽ rời lớp.")) call("reset", "POST").then(refresh);
  });
  document.querySelectorAll("input[name=track]").forEach((input) =>
    input.addEventListener("change", () => call(`track?track=${input.value}`, "POST").then(refresh)));
  document.querySelectorAll("input[name=platform]").forEach((input) =>
    input.addEventListener("change", () => call(`platform?platform=${input.value}`, "POST").then(refresh)));
  refresh();
  setInterval(refresh, 2000);
})();
