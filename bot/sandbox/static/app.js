// The sandbox page: a chat with the bot per person, kept fresh by long polling.
// Text from the bot is shown from Telegram's visible text plus entities, built with DOM nodes
// (textContent): nothing anyone typed or the bot sent is ever inserted as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const ROLE = { manager: "Manager", technician: "Technician", customer: "Customer" };
const GROUP = { manager: "Manager", technician: "Technicians", customer: "Customers" };
const LOCATIONS = [
  ["People's Square", 31.2304, 121.4737],
  ["Lujiazui", 31.2397, 121.4998],
  ["Xujiahui", 31.1956, 121.4365],
  ["Hongqiao", 31.1979, 121.3363],
];

const state = {
  people: [],
  timezone: null,       // the company's, for message times (from /api/people)
  peopleVersion: -1,
  instance: "",         // which run of the sandbox the versions belong to
  current: null,        // telegram id of the person shown
  chat: null,
  seen: {},             // person id -> bot messages seen (for unread badges)
  answersSeen: {},      // person id -> answers (toasts) already shown
  errorsSeen: {},       // person id -> bot errors already shown
  chatAbort: null,
  rendered: new Map(),  // message id -> {el, key}
};

// ------------------------------------------------------------------ HTTP
async function api(path, options = {}) {
  const init = { ...options, headers: { ...(options.headers || {}) } };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, init);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body;
}

function pause(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

async function act(action, json) {
  if (state.current === null) return;
  try {
    await api(`/api/chat/${state.current}/${action}`, { json: json || {} });
  } catch (error) {
    showToast(error.message, true);
  }
}

// ------------------------------------------------------------------ people
async function pollPeople() {
  for (;;) {
    try {
      const data = await api(`/api/people?after=${state.peopleVersion}&instance=${state.instance}`);
      const first = state.peopleVersion < 0 || data.instance !== state.instance;
      if (first) state.seen = {};
      state.peopleVersion = data.version;
      state.instance = data.instance;
      state.people = data.people;
      if (data.bot && data.bot.timezone) state.timezone = data.bot.timezone;
      for (const p of state.people) {
        if (state.seen[p.id] === undefined) state.seen[p.id] = first ? p.bot_messages : 0;
      }
      renderPeople();
      if (state.current !== null) renderHeader();
    } catch (error) {
      await pause(1500);  // the sandbox restarting, or the network of this machine hiccuping
    }
  }
}

function initials(name) {
  const trimmed = (name || "?").trim();
  const words = trimmed.split(/\s+/);
  if (/^[\x00-\x7f]/.test(trimmed) && words.length > 1) {
    return (words[0][0] + words[1][0]).toUpperCase();
  }
  return Array.from(trimmed)[0].toUpperCase();
}

function avatar(person, el) {
  const node = el || document.createElement("div");
  node.className = `avatar c${Math.abs(person.id) % 7}`;
  node.textContent = initials(person.name);
  return node;
}

function renderPeople() {
  const nav = $("people");
  nav.replaceChildren();
  let group = null;
  for (const person of state.people) {
    if (person.role !== group) {
      group = person.role;
      const heading = document.createElement("div");
      heading.className = "group";
      heading.textContent = GROUP[group] || group;
      nav.append(heading);
    }
    const item = document.createElement("a");
    item.className = "person" + (person.id === state.current ? " current" : "");
    item.href = `#${person.id}`;
    item.dataset.id = person.id;
    const main = document.createElement("div");
    main.className = "person-main";
    const name = document.createElement("div");
    name.className = "person-name";
    name.textContent = person.name;
    const sub = document.createElement("div");
    sub.className = "person-sub";
    sub.textContent = person.preview || describe(person);
    main.append(name, sub);
    item.append(avatar(person), main);
    const unread = person.bot_messages - (state.seen[person.id] || 0);
    if (person.id !== state.current && unread > 0) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = unread;
      item.append(badge);
    }
    nav.append(item);
  }
}

function describe(person) {
  const parts = [ROLE[person.role] || person.role];
  if (!person.active) parts.push("deactivated");
  if (person.demo) parts.push("demo");
  if (person.role === "customer" && !person.registered) parts.push("not registered yet");
  return parts.join(" · ");
}

function personById(id) { return state.people.find((p) => p.id === id); }

function renderHeader() {
  const person = personById(state.current);
  if (!person) return;
  avatar(person, $("chat-avatar"));
  $("chat-name").textContent = person.name;
  const language = person.language === "zh" ? "中文" : "English";
  $("chat-sub").textContent = `${describe(person)} · ${person.phone || "no phone"} · Telegram in ${language}`;
  $("chat-new-tab").href = `/#${person.id}`;
}

// ------------------------------------------------------------------ choosing a chat
function choose(id) {
  if (state.current === id && state.chat) return;
  if (state.chatAbort) state.chatAbort.abort();
  state.current = id;
  state.chat = null;
  state.rendered = new Map();
  $("messages").replaceChildren();
  $("keyboard").hidden = true;
  $("bot-error").hidden = true;
  closePopovers();
  const shown = id !== null;
  $("welcome").hidden = shown;
  for (const el of ["chat-header", "messages", "composer"]) $(el).hidden = !shown;
  renderPeople();
  if (!shown) return;
  renderHeader();
  pollChat(id);
  $("text").focus();
}

function fromHash() {
  const id = parseInt(location.hash.slice(1), 10);
  choose(Number.isFinite(id) ? id : null);
}

async function pollChat(id) {
  const controller = new AbortController();
  state.chatAbort = controller;
  let version = -1;
  let instance = "";
  while (state.current === id && !controller.signal.aborted) {
    try {
      const chat = await api(`/api/chat/${id}?after=${version}&instance=${instance}`,
        { signal: controller.signal });
      if (state.current !== id) return;
      const first = version < 0 || chat.instance !== instance;
      if (first && instance) {  // the sandbox was restarted: its chats begin anew
        state.rendered = new Map();
        $("messages").replaceChildren();
      }
      version = chat.version;
      instance = chat.instance;
      renderChat(chat, first);
    } catch (error) {
      if (controller.signal.aborted) return;
      await pause(1500);
    }
  }
}

// ------------------------------------------------------------------ the chat
function renderChat(chat, first) {
  state.chat = chat;
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const keep = new Set();
  let previous = null;
  let added = false;
  let grown = false;  // a message edited in place (it may have grown)
  if (!chat.messages.length) {
    if (!box.querySelector(".empty-chat")) box.replaceChildren(emptyChat());
  } else {
    const empty = box.querySelector(".empty-chat");
    if (empty) empty.remove();
  }
  for (const message of chat.messages) {
    keep.add(message.id);
    const key = JSON.stringify(message);
    let entry = state.rendered.get(message.id);
    if (!entry || entry.key !== key) {
      const el = messageElement(message);
      if (entry) { entry.el.replaceWith(el); grown = true; } else added = true;
      entry = { el, key };
      state.rendered.set(message.id, entry);
    }
    const shouldFollow = previous ? previous.nextSibling : box.firstChild;
    if (entry.el !== shouldFollow) {
      if (previous) previous.after(entry.el); else box.prepend(entry.el);
    }
    previous = entry.el;
  }
  for (const [id, entry] of state.rendered) {
    if (!keep.has(id)) { entry.el.remove(); state.rendered.delete(id); }
  }
  if (first || ((added || grown) && nearBottom) || (added && lastIsMine(chat))) {
    box.scrollTop = box.scrollHeight;
  }
  renderKeyboard(chat.keyboard);
  renderCommands(chat.commands);
  state.seen[chat.id] = chat.bot_messages;
  // Button answers (toasts and alerts) that arrived since the chat was opened.
  if (first) {
    state.answersSeen[chat.id] = chat.answers;
    state.errorsSeen[chat.id] = chat.errors.length ? chat.errors[chat.errors.length - 1] : null;
  } else {
    for (const toast of chat.toasts) {
      if (toast.n >= (state.answersSeen[chat.id] || 0)) {
        if (toast.alert) showAlert(toast.text); else showToast(toast.text);
      }
    }
    state.answersSeen[chat.id] = chat.answers;
    const last = chat.errors.length ? chat.errors[chat.errors.length - 1] : null;
    if (last && last !== state.errorsSeen[chat.id]) {
      const banner = $("bot-error");
      banner.textContent = `The bot's call failed, as Telegram would refuse it: ${last.slice(2)}`;
      banner.hidden = false;
    }
    state.errorsSeen[chat.id] = last;
  }
}

function lastIsMine(chat) {
  const last = chat.messages[chat.messages.length - 1];
  return last && !last.from_bot;
}

function emptyChat() {
  const box = document.createElement("div");
  box.className = "empty-chat";
  const note = document.createElement("div");
  note.textContent = "No messages here yet. In Telegram, a new chat with a bot starts with:";
  const start = document.createElement("button");
  start.className = "primary";
  start.type = "button";
  start.textContent = "START";
  start.addEventListener("click", () => act("text", { text: "/start" }));
  box.append(note, start);
  return box;
}

function time(unix) {
  if (!unix) return "";
  const d = new Date(unix * 1000);
  // The company's time zone, as the bot's own texts use, not the browser's.
  const options = { hour: "2-digit", minute: "2-digit", hour12: false };
  if (state.timezone) options.timeZone = state.timezone;
  return d.toLocaleTimeString([], options);
}

function messageElement(message) {
  const wrap = document.createElement("div");
  wrap.className = `msg ${message.from_bot ? "bot" : "me"}${message.buttons ? " has-buttons" : ""}`;
  wrap.dataset.id = message.id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  wrap.append(bubble);

  if (message.kind === "photo") bubble.append(photoElement(message));
  else if (message.file) bubble.append(fileCard(message));
  if (message.location) bubble.append(locationCard(message.location));
  if (message.contact) bubble.append(contactCard(message.contact));
  if (!["text", "photo", "document", "location", "contact"].includes(message.kind) && !message.file) {
    const other = document.createElement("div");
    other.className = "card-sub";
    other.textContent = `(${message.kind})`;
    bubble.append(other);
  }
  if (message.text) {
    const text = document.createElement("div");
    text.className = "text";
    text.append(formatted(message.text, message.entities));
    bubble.append(text);
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = (message.edited ? "edited " : "") + time(message.date);
  (bubble.querySelector(".text") || bubble).append(meta);

  if (message.buttons) wrap.append(inlineKeyboard(message));
  return wrap;
}

function photoElement(message) {
  const box = document.createElement("div");
  box.className = "photo";
  if (message.file && message.file.url) {
    const img = document.createElement("img");
    img.src = message.file.url;
    img.alt = "Photo";
    img.loading = "lazy";
    if (message.file.width && message.file.height) {
      img.width = Math.min(message.file.width, 420);
      img.height = Math.round(img.width * message.file.height / message.file.width);
    }
    img.addEventListener("click", () => window.open(message.file.url, "_blank", "noopener"));
    box.append(img);
  } else {
    box.classList.add("missing");
    box.textContent = "🖼 Photo sent by URL (not downloaded in the sandbox)";
  }
  return box;
}

function size(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fileCard(message) {
  const file = message.file;
  const card = document.createElement(file.url ? "a" : "div");
  card.className = "card";
  if (file.url) { card.href = file.url; card.setAttribute("download", file.name || ""); }
  const icon = document.createElement("div");
  icon.className = "card-icon";
  icon.textContent = "📄";
  const body = document.createElement("div");
  const title = document.createElement("div");
  title.className = "card-title";
  title.textContent = file.name || message.kind;
  const sub = document.createElement("div");
  sub.className = "card-sub";
  sub.textContent = [size(file.size), file.mime, file.url ? "download" : "sent by URL"]
    .filter(Boolean).join(" · ");
  body.append(title, sub);
  card.append(icon, body);
  return card;
}

function locationCard(location) {
  const card = document.createElement("div");
  card.className = "card";
  const icon = document.createElement("div");
  icon.className = "card-icon";
  icon.textContent = "📍";
  const body = document.createElement("div");
  const title = document.createElement("div");
  title.className = "card-title";
  title.textContent = "Location";
  const sub = document.createElement("div");
  sub.className = "card-sub";
  sub.textContent = `${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`;
  body.append(title, sub);
  card.append(icon, body);
  return card;
}

function contactCard(contact) {
  const card = document.createElement("div");
  card.className = "card";
  const icon = document.createElement("div");
  icon.className = "card-icon";
  icon.textContent = "👤";
  const body = document.createElement("div");
  const title = document.createElement("div");
  title.className = "card-title";
  title.textContent = contact.name || "Contact";
  const sub = document.createElement("div");
  sub.className = "card-sub";
  sub.textContent = contact.phone || "";
  body.append(title, sub);
  card.append(icon, body);
  return card;
}

function inlineKeyboard(message) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  message.buttons.forEach((row, r) => {
    const line = document.createElement("div");
    line.className = "kb-row";
    row.forEach((button, c) => {
      let el;
      if (button.kind === "url") {
        el = document.createElement("a");
        el.href = safeUrl(button.url) || "#";
        el.target = "_blank";
        el.rel = "noopener noreferrer";
        el.textContent = `${button.text} ↗`;
      } else {
        el = document.createElement("button");
        el.type = "button";
        el.textContent = button.text;
        if (button.kind === "callback") {
          el.addEventListener("click", async () => {
            el.classList.add("pressed");
            await act("press", { message_id: message.id, row: r, column: c });
            el.classList.remove("pressed");
          });
        } else {
          el.disabled = true;
          el.title = "This kind of button does nothing in the sandbox";
        }
      }
      line.append(el);
    });
    keyboard.append(line);
  });
  return keyboard;
}

// ------------------------------------------------------------------ Telegram formatting
function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:", "mailto:", "tg:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

function entityElement(entity, text) {
  let el;
  switch (entity.type) {
    case "bold": el = document.createElement("strong"); break;
    case "italic": el = document.createElement("em"); break;
    case "underline": el = document.createElement("u"); break;
    case "strikethrough": el = document.createElement("s"); break;
    case "code": el = document.createElement("code"); break;
    case "pre": el = document.createElement("pre"); break;
    case "blockquote":
    case "expandable_blockquote": el = document.createElement("blockquote"); break;
    case "spoiler":
      el = document.createElement("span");
      el.className = "spoiler";
      el.addEventListener("click", () => el.classList.toggle("shown"));
      break;
    case "text_link":
    case "url":
    case "email": {
      const target = entity.type === "text_link" ? entity.url
        : entity.type === "email" ? `mailto:${text}`
        : (/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `http://${text}`);
      const href = safeUrl(target);
      if (href) {
        el = document.createElement("a");
        el.href = href;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
      } else {
        el = document.createElement("span");
      }
      break;
    }
    case "bot_command":
      el = document.createElement("span");
      el.className = "command";
      el.title = "Send this command";
      el.addEventListener("click", () => act("text", { text: text.split("@")[0] }));
      break;
    case "mention":
    case "text_mention":
    case "hashtag":
    case "cashtag":
      el = document.createElement("span");
      el.className = "mention";
      break;
    default:
      el = document.createElement("span");
  }
  return el;
}

const BLOCKS = new Set(["pre", "blockquote", "expandable_blockquote"]);

// Entities nest (bold inside a link ...) and never cross; offsets count UTF-16 code units,
// as JavaScript strings do.
function formatted(text, entities) {
  const fragment = document.createDocumentFragment();
  const sorted = (entities || [])
    .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < text.length)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(fragment, 0, text.length, sorted);
  return fragment;

  function build(parent, start, end, list) {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      if (entity.offset < pos) { i += 1; continue; }
      const block = BLOCKS.has(entity.type);
      if (entity.offset > pos) {
        let before = text.slice(pos, entity.offset);
        if (block && before.endsWith("\n")) before = before.slice(0, -1);  // blocks break lines
        parent.append(document.createTextNode(before));
      }
      const stop = Math.min(entity.offset + entity.length, end);
      const el = entityElement(entity, text.slice(entity.offset, stop));
      const inner = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < stop) {
        if (list[j].offset + list[j].length <= stop) inner.push(list[j]);
        j += 1;
      }
      build(el, entity.offset, stop, inner);
      parent.append(el);
      pos = stop;
      if (block && text[pos] === "\n" && pos < end) pos += 1;
      i = j;
    }
    if (pos < end) parent.append(document.createTextNode(text.slice(pos, end)));
  }
}

// ------------------------------------------------------------------ composer
function renderKeyboard(rows) {
  const box = $("keyboard");
  box.replaceChildren();
  if (!rows || !rows.length) { box.hidden = true; return; }
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const button of row) {
      const el = document.createElement("button");
      el.type = "button";
      el.textContent = button.text;
      if (button.contact || button.location) el.classList.add("request");
      el.addEventListener("click", () => {
        const json = { text: button.text };
        if (button.location) Object.assign(json, currentLocation());
        act("tap", json);
      });
      line.append(el);
    }
    box.append(line);
  }
  box.hidden = false;
}

function renderCommands(commands) {
  const box = $("commands");
  box.replaceChildren();
  const title = document.createElement("div");
  title.className = "popover-title";
  title.textContent = commands.length ? "The bot's commands" : "The bot has no commands here";
  box.append(title);
  for (const command of commands) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "command-item";
    const name = document.createElement("b");
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => { closePopovers(); act("text", { text: `/${command.command}` }); });
    box.append(item);
  }
}

function currentLocation() {
  return { latitude: parseFloat($("lat").value), longitude: parseFloat($("lon").value) };
}

function closePopovers() {
  $("commands").hidden = true;
  $("location-form").hidden = true;
}

async function sendText() {
  const box = $("text");
  const text = box.value;
  if (!text.trim()) return;
  box.value = "";
  grow();
  await act("text", { text });
}

function grow() {
  const box = $("text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
}

async function sendPhoto(file) {
  if (!file || state.current === null) return;
  const form = new FormData();
  form.append("photo", file, file.name);
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  try {
    await api(`/api/chat/${state.current}/photo`, { method: "POST", body: form });
    $("text").value = "";
    grow();
  } catch (error) {
    showToast(error.message, true);
  }
}

// ------------------------------------------------------------------ notices
let toastTimer = null;
function showToast(text, error) {
  const toast = $("toast");
  toast.textContent = text;
  toast.classList.toggle("error", Boolean(error));
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, error ? 5000 : 2600);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

// ------------------------------------------------------------------ wiring
function setup() {
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); sendText(); });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });
  $("text").addEventListener("input", grow);
  $("photo-input").addEventListener("change", (event) => {
    sendPhoto(event.target.files[0]);
    event.target.value = "";
  });
  $("commands-button").addEventListener("click", () => {
    const open = $("commands").hidden;
    closePopovers();
    $("commands").hidden = !open;
  });
  $("location-button").addEventListener("click", () => {
    const open = $("location-form").hidden;
    closePopovers();
    $("location-form").hidden = !open;
  });
  for (const [name, lat, lon] of LOCATIONS) {
    const preset = document.createElement("button");
    preset.type = "button";
    preset.textContent = name;
    preset.addEventListener("click", () => { $("lat").value = lat; $("lon").value = lon; });
    $("location-presets").append(preset);
  }
  $("location-form").addEventListener("submit", (event) => {
    event.preventDefault();
    closePopovers();
    act("location", currentLocation());
  });
  $("messages").addEventListener("click", closePopovers);
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { closePopovers(); $("alert").hidden = true; }
  });
  $("new-person").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const person = await api("/api/people", {
        json: {
          name: $("new-name").value,
          language: $("new-language").value,
          invite: $("new-invite").value,
        },
      });
      $("new-name").value = "";
      $("new-invite").value = "";
      state.seen[person.id] = 0;
      location.hash = `#${person.id}`;
    } catch (error) {
      showToast(error.message, true);
    }
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
  pollPeople();
}

setup();
