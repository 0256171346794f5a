// This browser's microphone, streamed to a meeting's audio socket (DESIGN.md, "Live
// transcription"). Used by static/js/room.js, which draws it.
//
// The microphone is captured with echo cancellation, noise suppression and auto gain
// off; static/js/pcm-worklet.js turns it into 16 kHz mono PCM16 frames of 100 ms. Every
// frame is kept until the server has it: when the connection drops, the recorder goes
// on capturing, reconnects with back-off, sends `start` with the same `stream_id`, and
// resends from the `received_ms` the server answers, so nothing is doubled or lost.
(function () {
  "use strict";

  var SAMPLE_RATE = 16000;
  // Close codes after which trying again cannot help (4000 + the HTTP status).
  var FINAL_CLOSES = { 4400: true, 4401: true, 4403: true, 4404: true, 4409: true };
  // Kept: everything not yet sent, and the last seconds sent (a dropped connection may
  // have lost them on the way). Offline for longer than the cap, the oldest audio goes.
  var KEEP_SENT_SAMPLES = 20 * SAMPLE_RATE;
  var MAX_KEPT_SAMPLES = 10 * 60 * SAMPLE_RATE;
  // Catching up after a reconnect: a burst, then twice real time (the server allows
  // real time times MINA_REALTIME_SLACK, plus MINA_RESUME_BURST_MS).
  var CATCH_UP_BURST_MS = 60000;
  var MAX_BUFFERED_BYTES = 256 * 1024;

  // A wait that doubles from ~1 s to ~15 s, with jitter so a server restart is not met
  // by every page at once.
  function Backoff() { this.attempt = 0; }
  Backoff.prototype.next = function () {
    var ceiling = Math.min(15000, 1000 * Math.pow(2, this.attempt++));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  };
  Backoff.prototype.reset = function () { this.attempt = 0; };

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function microphoneError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return ["Mina may not use the microphone.",
        "Allow it for this site (the icon at the left of the address bar), then press Start recording again."];
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return ["No microphone was found.", "Connect one, or choose one in your system's sound settings, and try again."];
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return ["The microphone could not be started.", "Another app may be using it: close that app and try again."];
    }
    return ["Recording could not start.", (error && error.message) || "Reload the page and try again."];
  }

  // options: meetingId, workletUrl, and what to call when something changes:
  //   onState(state)        idle, starting, recording or stopping
  //   onAudio(rms, ms)      each frame's loudness (0 to 1) and the time recorded
  //   onConnection(state)   open, lost (reconnecting) or idle
  //   onError(title, detail, closeCode)   the microphone, or the server refusing the stream
  function Recorder(options) {
    this.options = options;
    this.state = "idle";
    this.backoff = new Backoff();
    this.socket = null;
  }

  Recorder.prototype.active = function () { return this.state !== "idle"; };

  Recorder.prototype.start = function () {
    var self = this;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.options.onError(
        "The browser blocks the microphone on this address.",
        "Browsers only allow recording on HTTPS pages or on localhost, and this page was opened as " +
          location.origin + ". Serve Mina over HTTPS (docs/deployment.md shows a TLS reverse proxy and " +
          "Daphne's own TLS), or open it at http://localhost:" + (location.port || "80") +
          " on the machine it runs on.",
      );
      return;
    }
    if (!window.AudioWorkletNode) {
      this.options.onError("This browser cannot record here.", "Use a current Chrome, Edge, Firefox or Safari.");
      return;
    }
    this.frames = [];  // {start: sample offset in the stream, pcm: Int16Array}
    this.produced = 0;  // samples captured
    this.sent = 0;  // samples the server has (as of `ready`) plus those sent since
    this.lostSamples = 0;
    this.streamId = null;
    this.stopSent = false;
    this.setState("starting");
    navigator.mediaDevices
      .getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      })
      .then(function (stream) { return self.capture(stream); })
      .then(function () {
        self.setState("recording");
        self.connect();
      })
      .catch(function (error) {
        self.release();
        self.setState("idle");
        var text = microphoneError(error);
        self.options.onError(text[0], text[1]);
      });
  };

  Recorder.prototype.capture = function (stream) {
    var self = this;
    this.stream = stream;
    this.context = new AudioContext();
    return this.context.audioWorklet.addModule(this.options.workletUrl).then(function () {
      self.source = self.context.createMediaStreamSource(stream);
      self.node = new AudioWorkletNode(self.context, "mina-pcm", { numberOfOutputs: 1 });
      self.node.port.onmessage = function (message) { self.onFrame(message.data); };
      self.source.connect(self.node);
      self.node.connect(self.context.destination);  // silent; keeps the node running
      self.capturing = true;
      return self.context.resume();
    });
  };

  Recorder.prototype.onFrame = function (data) {
    if (data.flushed) {
      this.release();
      this.pump();
      return;
    }
    var pcm = new Int16Array(data.pcm);
    this.frames.push({ start: this.produced, pcm: pcm });
    this.produced += pcm.length;
    this.options.onAudio(data.rms, (this.produced * 1000) / SAMPLE_RATE);
    this.pump();
  };

  Recorder.prototype.connect = function () {
    var self = this;
    var ws = new WebSocket(socketUrl("/ws/meetings/" + this.options.meetingId + "/audio/"));
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    this.ready = false;
    this.error = null;
    ws.onopen = function () {
      var start = { type: "start", sample_rate: SAMPLE_RATE, format: "pcm_s16le" };
      if (self.streamId) start.stream_id = self.streamId;
      if (self.options.room && self.options.room()) start.room = true;
      ws.send(JSON.stringify(start));
    };
    ws.onmessage = function (message) {
      if (typeof message.data !== "string") return;
      var event = JSON.parse(message.data);
      if (event.type === "ready") self.onReady(event);
      else if (event.type === "stopped") self.finish();
      else if (event.type === "error") self.error = event;
    };
    ws.onclose = function (event) { self.closed(event); };
  };

  Recorder.prototype.onReady = function (event) {
    this.streamId = event.stream_id;
    this.ready = true;
    this.readyAt = Date.now();
    this.sentHere = 0;
    this.backoff.reset();
    // The server holds this much: resend from there.
    this.sent = Math.round(event.received_ms * SAMPLE_RATE / 1000);
    this.options.onConnection("open");
    this.pump();
  };

  Recorder.prototype.pump = function () {
    var ws = this.socket;
    if (!ws || !this.ready || ws.readyState !== WebSocket.OPEN) return;
    for (var i = 0; i < this.frames.length; i++) {
      var frame = this.frames[i];
      if (frame.start + frame.pcm.length <= this.sent) continue;
      var allowance = (Date.now() - this.readyAt) * 2 + CATCH_UP_BURST_MS;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES || (this.sentHere * 1000) / SAMPLE_RATE > allowance) {
        window.clearTimeout(this.pumpTimer);
        this.pumpTimer = window.setTimeout(this.pump.bind(this), 200);
        return;
      }
      var pcm = this.sent > frame.start ? frame.pcm.subarray(this.sent - frame.start) : frame.pcm;
      ws.send(pcm);
      this.sent = frame.start + frame.pcm.length;
      this.sentHere += pcm.length;
    }
    this.trim();
    if (this.state === "stopping" && !this.capturing && !this.stopSent && this.sent >= this.produced) {
      this.stopSent = true;
      ws.send(JSON.stringify({ type: "stop" }));
    }
  };

  Recorder.prototype.trim = function () {
    var keepFrom = this.sent - KEEP_SENT_SAMPLES;
    while (this.frames.length && this.frames[0].start + this.frames[0].pcm.length <= keepFrom) this.frames.shift();
    while (this.frames.length && this.produced - this.frames[0].start > MAX_KEPT_SAMPLES) {
      var dropped = this.frames.shift();
      if (dropped.start + dropped.pcm.length > this.sent) this.lostSamples += dropped.pcm.length;
    }
  };

  Recorder.prototype.closed = function (event) {
    this.socket = null;
    this.ready = false;
    if (this.state === "idle") return;
    if (this.stopSent && this.error && this.error.code === "stream_ended") {
      this.finish();  // the stop arrived; only its answer was lost
      return;
    }
    if (FINAL_CLOSES[event.code]) {
      var reason = (this.error && this.error.message) || "The server refused the recording.";
      var started = this.streamId !== null;
      this.stopCapture();
      this.finish();
      this.options.onError(started ? "Recording stopped." : "Recording could not start.", reason, event.code);
      return;
    }
    this.options.onConnection("lost");
    window.setTimeout(this.connect.bind(this), this.backoff.next());
  };

  // Stop capturing, send what is left, then end the stream; resolves once the server
  // has finalised it (or the recorder gave up).
  Recorder.prototype.stop = function () {
    var self = this;
    if (this.state !== "recording") return this.stopped || Promise.resolve();
    this.setState("stopping");
    this.stopped = new Promise(function (resolve) { self.resolveStopped = resolve; });
    this.stopCapture();
    return this.stopped;
  };

  Recorder.prototype.stopCapture = function () {
    if (this.node && this.capturing) {
      this.node.port.postMessage("flush");  // the last partial frame, then release
    } else {
      this.release();
    }
  };

  Recorder.prototype.release = function () {
    this.capturing = false;
    try {
      if (this.source) this.source.disconnect();
      if (this.node) this.node.disconnect();
      if (this.stream) this.stream.getTracks().forEach(function (track) { track.stop(); });
      if (this.context && this.context.state !== "closed") this.context.close();
    } catch (error) {
      // already released
    }
    this.source = this.node = this.stream = this.context = null;
  };

  Recorder.prototype.finish = function () {
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    this.setState("idle");
    this.options.onConnection("idle");
    if (this.lostSamples) {
      this.options.onError("Some audio was lost.",
        Math.round(this.lostSamples / SAMPLE_RATE) + " s could not be kept while Mina was unreachable.");
    }
    if (this.resolveStopped) this.resolveStopped();
    this.resolveStopped = null;
  };

  Recorder.prototype.setState = function (state) {
    this.state = state;
    this.options.onState(state);
  };

  window.Mina = { Recorder: Recorder, Backoff: Backoff, socketUrl: socketUrl, FINAL_CLOSES: FINAL_CLOSES };
})();
