// Ketupat Pecel — the hardware agent in the page (docs/agent-protocol.md). Loaded only for users
// whose role uses devices here (base.html renders #agent-status for them). No inline script, no
// eval, no strings of its own: the texts come translated in #agent-status[data-texts].
//
// The page opens ws://127.0.0.1:PORT/v1, fetches a fresh ticket from the web app (POST
// /agent/ticket) and sends `auth` first; a lost connection is retried with exponential backoff
// (1 s, 2 s, 4 s … at most 30 s). `window.kpAgent.call(method, params)` gives a Promise of the
// result; notifications (card.inserted, card.removed, device.changed) are dispatched on document
// as "kp-agent:<method>" events, and "kp-agent:state" tells every change of connection or device.
// Without an agent every page works as before: buttons that need it stay disabled with a hint.
(function () {
  "use strict";

  var root = document.getElementById("agent-status");
  if (!root || !window.WebSocket || !window.fetch) return;

  var texts = {};
  try { texts = JSON.parse(root.getAttribute("data-texts") || "{}"); } catch (e) { texts = {}; }
  var agentUrl = root.getAttribute("data-agent-url");
  var ticketUrl = root.getAttribute("data-ticket-url");

  var AUTH_ID = 1;
  var MAX_DELAY_MS = 30000;
  var CALL_TIMEOUT_MS = 30000;
  var KIND_OF = {"camera.capture": "camera", "camera.scan_qr": "camera", "card.read": "card",
                 "printer.print": "printer", "printer.status": "printer"};
  var ALWAYS = {"agent.info": true, "devices.list": true};

  var socket = null;
  var nextId = AUTH_ID + 1;
  var pending = {};
  var attempt = 0;
  var retryTimer = null;
  var stopped = false;
  var state = {connected: false, connecting: false, user: null, methods: [], devices: [], agent: null,
               refusal: null};     // why the agent refused this page's ticket (shown on hover)

  // --- texts ---------------------------------------------------------------------------------

  function t(key, values) {
    var text = String(texts[key] || "");
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    return text;
  }

  function label(group, key) {
    return (texts[group] && texts[group][key]) || key;
  }

  // --- the connection ------------------------------------------------------------------------

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function fetchTicket() {
    return fetch(ticketUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store",
      headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}
    }).then(function (resp) {
      if (resp.status === 403) {
        var refused = new Error("forbidden");
        refused.forbidden = true;
        throw refused;
      }
      if (!resp.ok) throw new Error("ticket " + resp.status);
      return resp.json();
    });
  }

  function send(ws, message) {
    ws.send(JSON.stringify(message));
  }

  function rpcError(error) {
    var code = error && error.code;
    var reason = (error && error.data && error.data.reason) || (error && error.message) || "";
    var message;
    if (code === 4002) message = t("busy");
    else if (code === 4003) message = t("device_not_ready", {reason: reason});
    else if (code === 4004) message = t("failed", {reason: reason});
    else if (code === 4005) message = t("timeout");
    else message = t("refused");
    var failure = new Error(message);
    failure.code = code;
    failure.data = error && error.data;
    return failure;
  }

  function request(ws, id, method, params, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        delete pending[id];
        var late = new Error(t("timeout"));
        late.code = 4005;
        reject(late);
      }, timeoutMs || CALL_TIMEOUT_MS);
      pending[id] = {resolve: resolve, reject: reject, timer: timer};
      try {
        send(ws, {jsonrpc: "2.0", id: id, method: method, params: params || {}});
      } catch (e) {
        clearTimeout(timer);
        delete pending[id];
        reject(new Error(t("lost")));
      }
    });
  }

  function failPending() {
    Object.keys(pending).forEach(function (id) {
      var entry = pending[id];
      clearTimeout(entry.timer);
      entry.reject(new Error(t("lost")));
    });
    pending = {};
  }

  function onMessage(ws, raw) {
    var message;
    try { message = JSON.parse(raw); } catch (e) { return; }
    if (!message || typeof message !== "object") return;
    if (message.id !== undefined && message.id !== null) {
      var entry = pending[message.id];
      if (!entry) return;
      delete pending[message.id];
      clearTimeout(entry.timer);
      if (message.error) entry.reject(rpcError(message.error));
      else entry.resolve(message.result);
      return;
    }
    if (typeof message.method === "string") notify(message.method, message.params || {});
  }

  function notify(method, params) {
    if (method === "device.changed" && params && params.id) {
      var found = false;
      state.devices = state.devices.map(function (device) {
        if (device.id !== params.id) return device;
        found = true;
        return params;
      });
      if (!found) state.devices.push(params);
      render();
    }
    document.dispatchEvent(new CustomEvent("kp-agent:" + method, {detail: params}));
  }

  function connect() {
    retryTimer = null;
    if (stopped || socket) return;
    state.connecting = true;
    render();
    var ws;
    try {
      ws = new WebSocket(agentUrl);
    } catch (e) {
      lost();
      return;
    }
    socket = ws;
    nextId = AUTH_ID + 1;
    ws.onopen = function () {
      fetchTicket().then(function (answer) {
        if (socket !== ws) return null;
        return request(ws, AUTH_ID, "auth", {ticket: answer.ticket}, 10000);
      }).then(function (result) {
        if (!result || socket !== ws) return null;
        state.connected = true;
        state.connecting = false;
        state.user = result.user || null;
        state.methods = result.methods || [];
        state.agent = result.agent || null;
        state.refusal = null;
        attempt = 0;
        return call("devices.list").then(function (devices) {
          state.devices = Array.isArray(devices) ? devices : [];
          render();
        });
      }).catch(function (error) {
        if (error && error.forbidden) stopped = true;   // this role has no devices here: stop asking
        if (error && error.data && error.data.reason) state.refusal = error.data.reason;
        if (socket === ws) ws.close();
      });
    };
    ws.onmessage = function (event) {
      if (socket === ws) onMessage(ws, event.data);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      if (event.code >= 4000 && !state.refusal) state.refusal = event.reason || String(event.code);
      if (event.code === 1006) state.refusal = null;          // no agent there at all: nothing refused
      lost();
    };
  }

  function lost() {
    socket = null;
    state.connected = false;
    state.connecting = false;
    state.devices = [];
    failPending();
    render();
    if (stopped || retryTimer) return;
    var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempt));
    attempt = Math.min(attempt + 1, 10);
    delay = Math.round(delay * (0.8 + Math.random() * 0.2));    // several tabs do not knock at once
    retryTimer = setTimeout(connect, delay);
  }

  // Back on the page (laptop woken, tab shown): try at once rather than after the backoff.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || state.connected || socket || stopped) return;
    if (retryTimer) clearTimeout(retryTimer);
    attempt = 0;
    connect();
  });

  function allowed(method) {
    return ALWAYS[method] || state.methods.indexOf(method) !== -1;
  }

  function call(method, params) {
    if (!state.connected || !socket) return Promise.reject(new Error(t("need_agent")));
    if (!allowed(method)) return Promise.reject(new Error(t("not_allowed")));
    var timeout = method === "printer.print" ? 2 * CALL_TIMEOUT_MS : CALL_TIMEOUT_MS;   // a slow serial line
    if (params && params.timeout_s) timeout = (Number(params.timeout_s) + 10) * 1000;
    return request(socket, nextId++, method, params, timeout);
  }

  window.kpAgent = {
    call: call,
    can: function (method) { return state.connected && allowed(method); },
    get connected() { return state.connected; },
    get devices() { return state.devices.slice(); },
    get user() { return state.user; }
  };

  // --- what the page shows -------------------------------------------------------------------

  function deviceOf(kind) {
    var ofKind = state.devices.filter(function (d) { return d.kind === kind; });
    return ofKind.filter(function (d) { return d.state === "ready"; })[0] ||
           ofKind.filter(function (d) { return d.state === "busy"; })[0] || ofKind[0] || null;
  }

  function problems() {
    return state.devices.filter(function (d) { return d.state === "not_ready" || d.state === "error"; });
  }

  function deviceLine(device) {
    var line = (device.name || device.id) + ": " + label("states", device.state);
    return device.reason ? line + " — " + device.reason : line;
  }

  function renderHeader() {
    var shown, title, name;
    if (state.connected) {
      var bad = problems();
      if (bad.length) {
        name = "error";
        shown = t("problem");
        title = bad.map(deviceLine).join("\n");
      } else if (state.devices.length) {
        name = "ready";
        shown = t("ready");
        title = state.devices.map(deviceLine).join("\n");
      } else {
        name = "ready";
        shown = t("no_devices");
        title = shown;
      }
    } else {
      name = state.connecting ? "connecting" : "off";
      shown = t("off");
      title = state.connecting ? t("connecting") : shown;
      if (state.refusal) title = shown + "\n" + t("auth_refused", {reason: state.refusal});
    }
    root.setAttribute("data-agent-state", name);
    root.setAttribute("title", title);
    var text = root.querySelector("[data-agent-label]");
    if (text) text.textContent = shown;
  }

  function toolProblem(method) {
    if (!state.connected) return t("need_agent");
    if (!allowed(method)) return t("not_allowed");
    var device = deviceOf(KIND_OF[method]);
    if (!device) return t("no_device");
    if (device.state === "not_ready" || device.state === "error") {
      return t("device_not_ready", {reason: device.reason || label("states", device.state)});
    }
    return "";
  }

  function renderTools() {
    document.querySelectorAll("[data-agent-action]").forEach(function (button) {
      var problem = toolProblem(button.getAttribute("data-agent-method"));
      var working = button.getAttribute("aria-busy") === "true";
      button.disabled = Boolean(problem) || working;
      var tool = button.closest("[data-agent-tool]");
      var hint = tool && tool.querySelector("[data-agent-hint]");
      if (hint) {
        if (!hint.hasAttribute("data-default")) hint.setAttribute("data-default", hint.textContent);
        hint.textContent = state.connected ? problem : hint.getAttribute("data-default");
        hint.hidden = !problem;
      }
    });
  }

  function deviceRow(device) {
    var row = document.createElement("tr");
    row.setAttribute("data-testid", "device-row");
    row.setAttribute("data-device", device.id);
    row.setAttribute("data-agent-state", device.state);
    [device.name || device.id, label("kinds", device.kind), label("states", device.state), device.reason || "—"]
      .forEach(function (value, index) {
        var cell = document.createElement("td");
        if (index === 2) {
          var badge = document.createElement("span");
          badge.className = "badge agent-state-" + device.state;
          badge.textContent = value;
          cell.appendChild(badge);
        } else {
          cell.textContent = value;
        }
        row.appendChild(cell);
      });
    return row;
  }

  // The devices page (/perangkat): one row per device, its state live.
  function renderDeviceList() {
    var body = document.querySelector("[data-agent-devices]");
    if (body) body.replaceChildren.apply(body, state.devices.map(deviceRow));
    var empty = document.querySelector("[data-agent-empty]");
    if (empty) empty.hidden = state.devices.length > 0;
    var summary = document.querySelector("[data-agent-summary]");
    if (summary) {
      summary.textContent = root.querySelector("[data-agent-label]").textContent;
      summary.setAttribute("data-agent-state", root.getAttribute("data-agent-state"));
    }
    var version = document.querySelector("[data-agent-version]");
    if (version) version.textContent = state.connected && state.agent && state.agent.version ? state.agent.version : "—";
  }

  function render() {
    renderHeader();
    renderDeviceList();
    renderTools();
    document.dispatchEvent(new CustomEvent("kp-agent:state", {detail: {
      connected: state.connected, devices: state.devices.slice(), methods: state.methods.slice()}}));
  }

  // --- the tools: photo, card, print, QR -----------------------------------------------------

  function say(button, message, failed) {
    var tool = button.closest("[data-agent-tool]");
    var out = tool && tool.querySelector("[data-agent-message]");
    if (!out) return;
    out.textContent = message;
    out.className = failed ? "field-error" : "within-standard";
  }

  function params(button) {
    try { return JSON.parse(button.getAttribute("data-params") || "{}"); } catch (e) { return {}; }
  }

  function jpegFile(result) {
    var binary = atob(result.data);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var now = new Date();
    var stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return new File([bytes], "kamera-" + stamp + ".jpg", {type: result.mime || "image/jpeg", lastModified: now.getTime()});
  }

  // The photo goes into the form's own file input, so "Simpan daftar syarat" uploads it with the
  // rest (the server checks size and type as for any upload). A scan input takes several.
  function takePhoto(button) {
    var input = document.getElementById(button.getAttribute("data-target"));
    if (!input) return Promise.resolve();
    return call("camera.capture", params(button)).then(function (result) {
      var file = jpegFile(result);
      var files = new DataTransfer();
      if (input.multiple) {
        Array.prototype.forEach.call(input.files, function (kept) { files.items.add(kept); });
      }
      files.items.add(file);
      input.files = files.files;
      input.dispatchEvent(new Event("change", {bubbles: true}));
      var tool = button.closest("[data-agent-tool]");
      var preview = tool && tool.querySelector("[data-agent-preview]");
      if (preview) {
        if (preview.src) URL.revokeObjectURL(preview.src);
        preview.src = URL.createObjectURL(file);
        preview.hidden = false;
      }
      var count = input.files.length;
      say(button, count > 1 ? t("photos_ready", {n: count}) : t("photo_ready"));
    });
  }

  // A file chosen by hand replaces what the camera put there: the preview goes.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!event.isTrusted || !input || input.type !== "file") return;   // ours is not trusted
    var tool = input.closest(".line-upload");
    var preview = tool && tool.querySelector("[data-agent-preview]");
    if (preview) {
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.hidden = true;
      preview.removeAttribute("src");
    }
    var message = tool && tool.querySelector("[data-agent-message]");
    if (message) message.textContent = "";
  });

  function readCard(button) {
    var form = document.getElementById(button.getAttribute("data-form"));
    if (!form) return Promise.resolve();
    return call("card.read", {}).then(function (result) {
      if (!result || !result.atr) {
        say(button, t("no_card"), true);
        return;
      }
      form.elements.reader.value = result.reader || "";
      form.elements.atr.value = result.atr || "";
      form.elements.uid.value = result.uid || "";
      say(button, t("card_read", {reader: result.reader || ""}));
      form.requestSubmit();          // htmx posts it and shows the readings again
    });
  }

  function printReceipt(button) {
    var receipt;
    try { receipt = JSON.parse(button.getAttribute("data-receipt") || "null"); } catch (e) { receipt = null; }
    if (!receipt) return Promise.resolve();
    return call("printer.print", {receipt: receipt}).then(function () {
      say(button, t("printed"));
    });
  }

  // The QR text goes where a keyboard-wedge scanner would type it, and the search is sent.
  function scanQr(button) {
    var input = document.getElementById(button.getAttribute("data-target"));
    if (!input) return Promise.resolve();
    return call("camera.scan_qr", params(button)).then(function (result) {
      if (!result || !result.text) {
        say(button, t("qr_none"), true);
        return;
      }
      input.value = result.text;
      say(button, "");
      if (input.form) input.form.requestSubmit();
    });
  }

  var ACTIONS = {photo: takePhoto, card: readCard, print: printReceipt, "scan-qr": scanQr};

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-agent-action]");
    if (!button || button.disabled) return;
    var action = ACTIONS[button.getAttribute("data-agent-action")];
    if (!action) return;
    event.preventDefault();
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    say(button, t("working"));
    action(button).catch(function (error) {
      say(button, (error && error.message) || t("refused"), true);
    }).then(function () {
      button.removeAttribute("aria-busy");
      renderTools();
    });
  });

  // A form swapped in by htmx (the checklist after saving) brings its buttons back disabled.
  document.addEventListener("htmx:afterSettle", renderTools);

  render();
  connect();
})();
