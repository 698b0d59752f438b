// A trainee's phone (?trainee=1): the lesson in one large line above the chat, checked by Sổ tay
// against its database; congratulations when done, a hint after a step that did not do it.
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  if (!params.get("trainee") || !params.get("user")) return;
  document.body.classList.add("training");
  const USER = encodeURIComponent(params.get("user"));
  const box = document.getElementById("lesson");
  if (params.get("zalo")) {  // a Zalo trainee: the lesson sits above the Zalo chat (the Telegram phone is hidden)
    document.getElementById("zalo-phone").insertBefore(box, document.getElementById("zalo-messages"));
  }
  const CHECK_MS = 10000;
  let actedAt = 0;
  let busy = false;
  let cheer = null;

  function show(status) {
    if (!status.trainee) { box.hidden = true; return; }
    box.hidden = false;
    box.innerHTML = "";
    box.classList.toggle("done", Boolean(cheer));
    if (cheer) {
      box.appendChild(document.createTextNode(cheer));
      return;
    }
    if (status.lesson) {
      const title = document.createElement("small");
      title.textContent = status.lesson.title;
      box.appendChild(title);
    }
    const line = document.createElement("span");
    line.className = "task";
    line.textContent = status.line;
    box.appendChild(line);
    if (status.hint) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = status.hint;
      box.appendChild(hint);
    }
    box.dataset.lesson = status.lesson ? status.lesson.key : "";
  }

  async function check() {
    if (busy) return;
    busy = true;
    // A step counts (for a hint) once the bot has had a few seconds to do what it was asked.
    const acted = actedAt && Date.now() - actedAt > 4000;
    try {
      const response = await fetch(`/training/api/me?user=${USER}${acted ? "&acted=1" : ""}`);
      const status = await response.json();
      if (acted) actedAt = 0;
      if (status.congratulation) {
        cheer = status.congratulation;
        box.dataset.done = status.done_lesson;
        setTimeout(() => { cheer = null; check(); }, 3500);
      }
      show(status);
    } catch (error) { /* the chat page shows the connection */ } finally {
      busy = false;
    }
  }

  // After a step: check soon (the bot needs a moment), and count it as a step if it did not do the lesson.
  document.addEventListener("sotay:acted", () => { actedAt = Date.now(); setTimeout(check, 4200); });
  check();
  // Otherwise now and then: the trainer may have opened the next lesson (a hall of 300 phones asking every
  // CHECK_MS is 30 requests a second; every 2 s it was 150, the largest share of the demo's CPU under a hall's load).
  // The step's own check (above) shows a lesson done.
  setInterval(check, CHECK_MS);
})();
