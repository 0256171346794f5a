// The meeting room (templates/meetings/detail.html): record, watch the transcript live,
// end the meeting, follow its processing, review, correct, upload and seek.
//
// The meeting socket (DESIGN.md, "Live transcription") brings a snapshot and then every
// event, and reconnects with back-off; the microphone is static/js/recorder.js. What
// changes once a meeting is processed is rendered by the server and swapped in (the
// panels view), so the page and a reload always agree.
(function () {
  "use strict";

  var main = document.querySelector("main[data-meeting-id]");
  if (!main) return;

  // htmx copies `style` from an old element to its swapped-in twin (same id), which the
  // CSP refuses: an input's empty style attribute was enough. Settle without it.
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];

  var meetingId = main.dataset.meetingId;
  var room = {
    status: main.dataset.status,
    canRecord: main.dataset.canRecord === "true",
    canEnd: main.dataset.canEnd === "true",
    canUpload: main.dataset.canUpload === "true",
    sockets: main.dataset.liveUpdates === "true" && "WebSocket" in window,
    uploading: false,
  };
  var STATUS_LABELS = {
    scheduled: "Scheduled", live: "Live", processing: "Processing", ready: "Ready", failed: "Failed",
  };

  function $(id) { return document.getElementById(id); }

  function clock(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- Messages ---------------------------------------------------------------------

  function showAlert(message, detail) {
    var region = $("room-alert");
    if (!region) return;
    var alert = document.createElement("div");
    alert.className = "alert error";
    alert.setAttribute("role", "alert");
    var strong = document.createElement("strong");
    strong.textContent = message;
    alert.appendChild(strong);
    if (detail) alert.appendChild(document.createTextNode(" " + detail));
    region.replaceChildren(alert);
  }

  function clearAlert() {
    var region = $("room-alert");
    if (region) region.replaceChildren();
  }

  // The readable text of an alert the server sent, without its heading ("That did not
  // work."): the room says in its own words what failed.
  function serverMessage(html, fallback) {
    var doc = new DOMParser().parseFromString(html || "", "text/html");
    var alert = doc.querySelector(".alert, .notice") || doc.body;
    var heading = alert && alert.querySelector("strong");
    if (heading) heading.remove();
    var text = alert ? alert.textContent.replace(/\s+/g, " ").trim() : "";
    return text || fallback;
  }

  var connection = { meeting: "idle", audio: "idle" };
  function showConnection() {
    var badge = $("connection"), line = $("room-status");
    var states = [connection.meeting, connection.audio];
    var lost = states.indexOf("lost") >= 0;
    if (badge) {
      var watching = room.status === "live" || room.status === "scheduled" || room.status === "processing";
      badge.hidden = !(lost || (watching && connection.meeting === "open"));
      badge.className = "connection " + (lost ? "connection-lost" : "connection-ok");
      badge.textContent = lost ? "Reconnecting…" : "Connected";
    }
    if (!line) return;
    var text = "";
    if (lost) {
      text = "The connection to Mina was lost. Reconnecting…";
      if (recorder.active()) text += " Your audio is kept and sent when it is back.";
    }
    if (line.textContent !== text) line.textContent = text;  // a live region: no repeats
    line.hidden = !text;
  }

  // --- Status, controls and progress ------------------------------------------------

  function setStatus(status, load) {
    var changed = status !== room.status;
    var was = room.status;
    room.status = status;
    main.dataset.status = status;
    var badge = $("meeting-status");
    if (badge) {
      badge.className = "badge status-" + status;
      badge.textContent = STATUS_LABELS[status] || status;
    }
    if (load !== undefined || status !== "live") showLoad(load === "overloaded" && status === "live");
    if (status !== "live" && status !== "scheduled" && recorder.state === "recording") {
      recorder.stop();  // someone ended the meeting: what was said is sent, then the stream stops
    }
    updateControls();
    if (status === "processing") {
      showProgress(room.uploading ? null : "Preparing the transcript…", null);
    } else if (!room.uploading) {
      hideProgress();
    }
    if (changed && (status === "ready" || status === "failed") && was !== "ready") refreshPanels();
    if (changed && status === "processing") {
      refreshPanels(["summary-panel", "tasks-panel", "participants-panel"]);
      setEmptyText("Mina is transcribing the recording carefully. The transcript appears here when it is done.");
    }
    if (changed && status === "live") setEmptyText("Listening. Words appear here a moment after they are said.");
    showConnection();
  }

  function showLoad(overloaded) {
    var note = $("load-note");
    if (note) note.hidden = !overloaded;
  }

  function updateControls() {
    var liveable = room.status === "scheduled" || room.status === "live";
    var recorderBox = $("recorder");
    if (recorderBox) recorderBox.hidden = !(room.canRecord && (liveable || recorder.active()) && !room.uploading);
    var end = $("end-form");
    if (end) end.hidden = !(room.canEnd && room.status === "live");
    var upload = $("upload-form");
    if (upload) upload.hidden = !(room.canUpload && (room.status !== "live" && room.status !== "processing") && !room.uploading);
  }

  function showProgress(label, percent) {
    var box = $("job-progress"), bar = $("job-progress-bar");
    if (!box || !bar) return;
    box.hidden = false;
    if (label) $("job-progress-label").textContent = label;
    if (percent === null || percent === undefined) {
      bar.removeAttribute("value");
      $("job-progress-percent").textContent = "";
    } else {
      bar.value = percent;
      $("job-progress-percent").textContent = Math.round(percent) + "%";
    }
  }

  function hideProgress() {
    var box = $("job-progress");
    if (box) box.hidden = true;
  }

  function onJobProgress(event) {
    if (room.status !== "processing") return;
    if (event.stage === "summarizing") {
      showProgress("Writing the summary and the tasks…", null);
    } else {
      showProgress("Transcribing the recording carefully…", event.percent);
    }
  }

  // --- Panels rendered by the server ------------------------------------------------

  var PANELS = [
    "meeting-problem", "transcript-panel", "carry-over-panel", "summary-panel", "tasks-panel", "participants-panel",
  ];
  var refreshTimer = null, refreshWanted = {};

  // Fetch the server's rendering of some panels (all by default) and swap them in. A
  // panel someone is typing in waits until they are done.
  function refreshPanels(ids) {
    (ids || PANELS).forEach(function (id) { refreshWanted[id] = true; });
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(fetchPanels, 250);
  }

  function busy(panel) {
    var active = document.activeElement;
    var typing = active && panel.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    return typing || panel.querySelector(".segment.editing, details[open]") !== null;
  }

  function fetchPanels() {
    var due = [], later = {};
    Object.keys(refreshWanted).forEach(function (id) {
      if ($(id) && busy($(id))) later[id] = true; else due.push(id);
    });
    refreshWanted = later;
    if (Object.keys(later).length) refreshTimer = window.setTimeout(fetchPanels, 3000);
    if (!due.length) return;
    fetch(main.dataset.panelsUrl, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        due.forEach(function (id) {
          var fresh = doc.getElementById(id), old = $(id);
          if (!fresh || !old) return;
          old.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
        });
        transcript.afterRefresh();
      })
      .catch(function () {
        window.setTimeout(function () { refreshPanels(due); }, 5000);
      });
  }

  document.body.addEventListener("mina:refresh", function () { refreshPanels(["summary-panel", "tasks-panel"]); });

  // A renamed speaker (here, or by someone else: the socket's participant.renamed):
  // every line they said shows the new name.
  function showRenamed(detail) {
    document.querySelectorAll('.speaker[data-participant-id="' + detail.participant + '"]').forEach(function (el) {
      el.textContent = detail.name;
    });
  }
  document.body.addEventListener("mina:renamed", function (event) { showRenamed(event.detail || {}); });

  // --- The live transcript ----------------------------------------------------------

  var transcript = {
    finalised: {},
    list: function () { return $("transcript"); },

    scroller: function () {
      var box = $("transcript-scroll");
      if (box && getComputedStyle(box).overflowY === "auto") return box;
      return document.scrollingElement;
    },

    nearBottom: function () {
      var s = this.scroller();
      var visible = s === document.scrollingElement ? window.innerHeight : s.clientHeight;
      return s.scrollHeight - s.scrollTop - visible < 60;
    },

    // Changes arrive while someone may be reading further up: follow the newest line
    // only when the reader was already at the bottom.
    change: function (apply) {
      var follow = this.nearBottom();
      apply();
      var empty = document.querySelector(".transcript-empty");
      var list = this.list();
      if (empty && list) empty.hidden = list.children.length > 0;
      if (follow) {
        var s = this.scroller();
        s.scrollTop = s.scrollHeight;
      } else {
        var jump = $("jump-latest");
        if (jump) jump.hidden = false;
      }
    },

    item: function (seg, partial) {
      var li = document.createElement("li");
      li.className = "segment" + (partial ? " partial" : "") + (seg.edited ? " edited" : "");
      if (partial) {
        li.setAttribute("aria-hidden", "true");  // screen readers hear the final, not every draft
      } else {
        li.id = "segment-" + seg.id;
        li.dataset.segmentId = seg.id;
      }
      li.dataset.utteranceId = seg.utterance_id || "";
      li.dataset.startMs = seg.start_ms;
      var head = document.createElement("div");
      head.className = "segment-head";
      if (seg.participant) {
        var speaker = document.createElement("span");
        speaker.className = "speaker";
        speaker.textContent = seg.speaker;
        speaker.dataset.participantId = seg.participant;
        head.append(speaker, " ");
      }
      var time = document.createElement("time");
      time.className = "ts";
      time.textContent = clock(seg.start_ms);
      head.append(time);
      if (partial) {
        var draft = document.createElement("span");
        draft.className = "draft-mark";
        draft.textContent = "…";
        head.append(" ", draft);
      }
      var text = document.createElement("p");
      text.className = "segment-text";
      text.textContent = seg.text;
      li.append(head, text);
      this.markEdited(li, seg.edited);
      return li;
    },

    markEdited: function (li, edited) {
      if (!edited || li.querySelector(".edited-mark")) return;
      li.classList.add("edited");
      var mark = document.createElement("span");
      mark.className = "edited-mark";
      mark.title = "Corrected by hand; kept when the recording is transcribed again";
      mark.textContent = "edited";
      var head = li.querySelector(".segment-head");
      var edit = head.querySelector(".edit-segment");
      head.insertBefore(mark, edit);
    },

    insert: function (li) {
      var list = this.list(), start = Number(li.dataset.startMs);
      var after = null;
      for (var node = list.lastElementChild; node; node = node.previousElementSibling) {
        if (Number(node.dataset.startMs) <= start) { after = node; break; }
      }
      if (after) after.after(li); else list.prepend(li);
    },

    partialFor: function (utteranceId) {
      var list = this.list();
      if (!list || !utteranceId) return null;
      return list.querySelector('li.partial[data-utterance-id="' + CSS.escape(utteranceId) + '"]');
    },

    // Someone new speaks: the server renders them in the participants list.
    newSpeaker: function (seg) {
      if (seg.participant && !$("participant-" + seg.participant)) refreshPanels(["participants-panel"]);
    },

    onPartial: function (event) {
      this.newSpeaker(event);
      var list = this.list();
      if (!list || this.finalised[event.utterance_id] || list.dataset.kind !== "final") return;
      var self = this;
      this.change(function () {
        var existing = self.partialFor(event.utterance_id);
        if (!event.text) { if (existing) existing.remove(); return; }  // a draft taken back
        if (existing) {
          existing.querySelector(".segment-text").textContent = event.text;
        } else {
          self.insert(self.item(event, true));
        }
      });
    },

    // A final, a refined line, or a correction of either. Ids make it idempotent: a
    // snapshot after a reconnect may repeat what an event already brought.
    onSegment: function (seg) {
      var list = this.list();
      if (!list) return;
      var existing = $("segment-" + seg.id);
      if (existing) {
        var text = existing.querySelector(".segment-text");
        if (text) text.textContent = seg.text;
        this.markEdited(existing, seg.edited);
        return;
      }
      if (seg.kind !== list.dataset.kind) {
        // The careful pass wrote the transcript anew: the server renders it.
        if (seg.kind === "refined" && (room.status === "ready" || room.status === "failed")) refreshPanels();
        return;
      }
      this.finalised[seg.utterance_id] = true;
      this.newSpeaker(seg);
      var self = this;
      this.change(function () {
        var li = self.item(seg, false);
        var draft = self.partialFor(seg.utterance_id);
        if (draft) draft.replaceWith(li); else self.insert(li);
      });
    },

    lastId: function () {
      var last = 0;
      document.querySelectorAll("#transcript [data-segment-id]").forEach(function (li) {
        last = Math.max(last, Number(li.dataset.segmentId));
      });
      return last;
    },

    afterRefresh: function () {
      var jump = $("jump-latest");
      if (jump) jump.hidden = true;
    },
  };

  function setEmptyText(text) {
    var empty = document.querySelector(".transcript-empty");
    if (empty) empty.textContent = text;
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("#jump-latest")) return;
    var s = transcript.scroller();
    s.scrollTop = s.scrollHeight;
    event.target.closest("#jump-latest").hidden = true;
  });
  document.addEventListener("scroll", function (event) {
    var box = $("transcript-scroll");
    if (event.target === box || event.target === document) {
      if (transcript.nearBottom()) { var jump = $("jump-latest"); if (jump) jump.hidden = true; }
    }
  }, true);

  // --- The meeting socket -----------------------------------------------------------

  var watcher = {
    socket: null,
    backoff: new Mina.Backoff(),
    error: null,

    connect: function () {
      var self = this;
      var ws = new WebSocket(Mina.socketUrl("/ws/meetings/" + meetingId + "/?after=" + transcript.lastId()));
      this.socket = ws;
      this.error = null;
      ws.onmessage = function (message) { self.receive(JSON.parse(message.data)); };
      ws.onclose = function (event) { self.closed(event); };
    },

    receive: function (event) {
      switch (event.type) {
        case "snapshot":
          connection.meeting = "open";
          this.backoff.reset();
          event.segments.forEach(function (seg) { transcript.onSegment(seg); });
          setStatus(event.status);
          break;
        case "transcript.partial": transcript.onPartial(event); break;
        case "transcript.final":
        case "transcript.refined": transcript.onSegment(event); break;
        case "meeting.status": setStatus(event.status, event.load); break;
        case "job.progress": onJobProgress(event); break;
        case "summary.ready": refreshPanels(["carry-over-panel", "summary-panel", "tasks-panel"]); break;
        case "participant.renamed": showRenamed(event); break;
        case "task.created": refreshPanels(["tasks-panel"]); break;
        case "task.updated":
          // One's own change is already on the page (with its "Saved").
          if (!document.querySelector("#task-" + event.task.id + " .saved")) refreshPanels(["tasks-panel"]);
          break;
        case "error": this.error = event; break;
      }
    },

    // A fresh snapshot (status, and any line missed), when something says this page is behind.
    resync: function () {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify({ type: "sync", after: transcript.lastId() }));
      }
    },

    closed: function (event) {
      this.socket = null;
      if (Mina.FINAL_CLOSES[event.code]) {
        connection.meeting = "refused";
        showConnection();
        showAlert("Live updates stopped.", (this.error && this.error.message) || "Reload the page to try again.");
        return;
      }
      var wait = this.backoff.next();
      connection.meeting = "lost";
      showConnection();
      window.setTimeout(this.connect.bind(this), wait);
    },
  };

  // --- The recorder -----------------------------------------------------------------

  var recorder = new Mina.Recorder({
    meetingId: meetingId,
    workletUrl: main.dataset.workletUrl,
    // Several people at this microphone: after the meeting Mina tells their voices apart.
    room: function () { var box = $("room-microphone"); return box && box.checked; },
    onState: showRecorder,
    onAudio: function (rms, ms) {
      showLevel(rms);
      $("record-time").textContent = clock(ms);
    },
    onConnection: function (state) {
      connection.audio = state;
      showConnection();
    },
    onError: function (title, detail, closeCode) {
      showAlert(title, detail);
      if (closeCode === 4409) watcher.resync();  // the meeting moved on: show where it is
    },
  });

  function showRecorder(state) {
    var button = $("record");
    if (!button) return;
    var labels = { idle: "Start recording", starting: "Starting…", recording: "Stop recording", stopping: "Finishing…" };
    button.querySelector(".record-label").textContent = labels[state];
    button.disabled = state === "starting" || state === "stopping";
    button.classList.toggle("primary", state === "idle" || state === "starting");
    button.classList.toggle("recording", state === "recording" || state === "stopping");
    button.setAttribute("aria-pressed", state === "recording" ? "true" : "false");
    $("level").hidden = state !== "recording";
    var room = $("room-microphone");
    if (room) room.disabled = state !== "idle";  // a stream's microphone is what it started as
    $("record-time").hidden = state === "idle";
    if (state === "idle") showLevel(0);
    updateControls();
  }

  function showLevel(rms) {
    var meter = $("level");
    if (!meter) return;
    // -60 dBFS (silence) to 0 dBFS (full scale), as a share of the bar.
    var db = rms > 0 ? 20 * Math.log10(rms) : -60;
    var share = Math.max(0, Math.min(1, (db + 60) / 60));
    meter.querySelector(".level-bar").style.width = Math.round(share * 100) + "%";
    meter.setAttribute("aria-valuenow", String(Math.round(share * 100)));
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("#record")) return;
    clearAlert();
    if (recorder.state === "idle") recorder.start();
    else if (recorder.state === "recording") recorder.stop();
  });

  // Leaving the page would cut the stream mid-sentence.
  window.addEventListener("beforeunload", function (event) {
    if (recorder.active()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- Ending the meeting -----------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("#end-form");
    if (!form || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button"), before = room.status;
    button.disabled = true;
    button.textContent = "Ending…";
    // The last words first: stop this browser's stream and let the server finalise it.
    var flushed = Promise.race([recorder.stop(), new Promise(function (r) { window.setTimeout(r, 15000); })]);
    flushed
      .then(function () {
        setStatus("processing");
        return fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
        });
      })
      .then(function (response) {
        if (response.ok) return null;
        return response.text().then(function (html) {
          throw new Error(serverMessage(html, "The meeting could not be ended."));
        });
      })
      .catch(function (error) {
        var reason = error instanceof TypeError ? "Mina cannot be reached. Try again." : error.message;
        showAlert("The meeting could not be ended.", reason);
        if (room.status === "processing") setStatus(before);
      })
      .then(function () {
        button.disabled = false;
        button.textContent = "End meeting";
      });
  });

  // --- Uploads ----------------------------------------------------------------------

  document.addEventListener("change", function (event) {
    var input = event.target.closest("#upload-file");
    if (input && input.files.length) upload(input.form, input.files[0]);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("#upload-form");
    if (!form) return;
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    if (input.files.length) upload(form, input.files[0]);
  });

  function upload(form, file) {
    clearAlert();
    var limit = Number(form.dataset.maxMb) * 1024 * 1024;
    if (limit && file.size > limit) {
      showAlert("That file is too large.", "Mina takes recordings up to " + form.dataset.maxMb + " MB.");
      form.reset();
      return;
    }
    var body = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    room.uploading = true;
    updateControls();
    showProgress("Uploading “" + file.name + "”…", 0);
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) showProgress(null, (100 * event.loaded) / event.total);
    };
    xhr.upload.onload = function () {
      showProgress("Checking “" + file.name + "”…", null);
    };
    xhr.onload = function () {
      room.uploading = false;
      form.reset();
      if (xhr.status >= 200 && xhr.status < 300) {
        if (room.status !== "processing" && room.status !== "ready") setStatus("processing");
        showProgress(serverMessage(xhr.responseText, "Uploaded."), null);
        if (room.status === "ready") hideProgress();
      } else {
        hideProgress();
        showAlert("The upload was refused.", serverMessage(xhr.responseText, "Try another file."));
      }
      updateControls();
    };
    xhr.onerror = function () {
      room.uploading = false;
      form.reset();
      hideProgress();
      updateControls();
      showAlert("The upload failed.", "Mina cannot be reached. Check your connection and try again.");
    };
    xhr.send(body);
  }

  // --- Playing a line ---------------------------------------------------------------

  function sourceFor(recordingId) {
    var option = document.querySelector('#player-source option[value="' + recordingId + '"]');
    if (option) return { src: option.dataset.src, offset: Number(option.dataset.offsetMs) };
    var player = $("player");
    if (player && player.dataset.recordingId === String(recordingId)) {
      return { src: player.getAttribute("src"), offset: Number(player.dataset.offsetMs) };
    }
    return null;
  }

  function load(player, recordingId, source) {
    if (player.dataset.whole) URL.revokeObjectURL(player.dataset.whole);
    player.dataset.recordingId = recordingId;
    player.dataset.offsetMs = source.offset;
    player.dataset.whole = "";
    player.setAttribute("src", source.src);
    player.load();
  }

  function metadata(player) {
    if (player.readyState >= 1) return Promise.resolve();
    return new Promise(function (resolve) { player.addEventListener("loadedmetadata", resolve, { once: true }); });
  }

  function canSeek(player, at) {
    for (var i = 0; i < player.seekable.length; i++) {
      if (player.seekable.start(i) <= at && at <= player.seekable.end(i)) return true;
    }
    return false;
  }

  // A server that answers without byte ranges leaves the browser unable to seek in what
  // it streamed: then the recording is fetched whole and played from memory.
  function wholeFile(player) {
    if (player.dataset.whole) return Promise.resolve();
    return fetch(player.currentSrc, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.blob();
      })
      .then(function (blob) {
        player.dataset.whole = URL.createObjectURL(blob);
        player.setAttribute("src", player.dataset.whole);
        player.load();
        return metadata(player);
      });
  }

  function seek(li) {
    var player = $("player"), recordingId = li.dataset.recordingId;
    var source = player && sourceFor(recordingId);
    if (!source) return;
    if (player.dataset.recordingId !== recordingId) {
      load(player, recordingId, source);
      var select = $("player-source");
      if (select) select.value = recordingId;
    }
    var at = Math.max(0, (Number(li.dataset.startMs) - source.offset) / 1000);
    document.querySelectorAll("#transcript .segment.playing").forEach(function (el) { el.classList.remove("playing"); });
    li.classList.add("playing");
    metadata(player)
      .then(function () { return canSeek(player, at) ? null : wholeFile(player); })
      .then(function () {
        player.currentTime = at;
        return player.play();
      })
      .catch(function () { /* autoplay refused, or the file is gone: the player says so */ });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-seek]");
    if (button) {
      seek(button.closest("li"));
      return;
    }
    // A task's moment: its line is on this page, so it plays here instead of reloading.
    var moment = event.target.closest("[data-play-segment]");
    var said = moment && document.getElementById("segment-" + moment.dataset.playSegment);
    if (said && said.dataset.recordingId) {
      event.preventDefault();
      said.scrollIntoView({ block: "center" });
      seek(said);
      return;
    }
    // A click on a line's words seeks too, unless it ends a text selection.
    var text = event.target.closest("#transcript .segment[data-recording-id] .segment-text");
    var selection = window.getSelection();
    if (text && (!selection || selection.isCollapsed)) seek(text.closest("li"));
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "player-source") return;
    var option = event.target.selectedOptions[0];
    load($("player"), option.value, { src: option.dataset.src, offset: Number(option.dataset.offsetMs) });
  });

  // A link to a moment (`?t=<seconds>`, e.g. from Ask Mina): the line said then is shown
  // and played (a browser may refuse to play before a click: the player is set there anyway).
  function playFromLink() {
    var t = new URLSearchParams(window.location.search).get("t");
    if (t === null || isNaN(Number(t))) return;
    var at = Number(t) * 1000 + 999, line = null;
    document.querySelectorAll("#transcript .segment[data-start-ms]").forEach(function (li) {
      if (Number(li.dataset.startMs) <= at) line = li;
    });
    if (!line) return;
    line.scrollIntoView({ block: "center" });
    if (line.dataset.recordingId) seek(line);
  }
  playFromLink();

  // --- Start --------------------------------------------------------------------------

  var recordButton = $("record");
  if (!room.sockets) {
    if (recordButton) {
      recordButton.disabled = true;
      recordButton.title = "Recording needs Mina's own server (make run): this one does not speak WebSocket.";
    }
    return;
  }
  updateControls();
  watcher.connect();
})();
