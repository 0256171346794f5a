// The microphone, as Mina's audio socket wants it: 16 kHz mono PCM16 in 100 ms frames.
//
// Runs on the audio thread (loaded with audioWorklet.addModule). Browsers capture at
// 44.1 or 48 kHz, often in stereo: the channels are averaged, then a windowed-sinc
// low-pass (cut just below 8 kHz, so nothing folds back as noise Whisper would hear)
// is evaluated at each 16 kHz output instant. Each frame goes to the page with its
// loudness, for the level meter.
"use strict";

const OUT_RATE = 16000;
const FRAME = 1600; // samples: 100 ms
const HALF = 32; // taps either side of an output instant, in input samples
const PHASES = 128; // precomputed sub-sample positions

function kernelTable(inRate) {
  const cutoff = Math.min(0.45 * OUT_RATE, 0.45 * inRate) / inRate; // cycles per input sample
  const table = [];
  for (let p = 0; p < PHASES; p++) {
    const frac = p / PHASES;
    const taps = new Float32Array(2 * HALF);
    let sum = 0;
    for (let k = 0; k < 2 * HALF; k++) {
      const x = k - (HALF - 1) - frac; // distance from the output instant
      const sinc = x === 0 ? 1 : Math.sin(2 * Math.PI * cutoff * x) / (2 * Math.PI * cutoff * x);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * x) / HALF); // Hann
      taps[k] = Math.abs(x) < HALF ? sinc * window : 0;
      sum += taps[k];
    }
    for (let k = 0; k < taps.length; k++) taps[k] /= sum; // unity gain at DC
    table.push(taps);
  }
  return table;
}

class PcmWorklet extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample
    this.table = kernelTable(sampleRate);
    this.input = new Float32Array(8192);
    this.length = HALF; // silence before the first sample, so the filter has a history
    this.position = HALF; // the next output instant, in input samples
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
    this.energy = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush") this.flush();
    };
  }

  append(channels, count) {
    if (this.length + count > this.input.length) {
      const bigger = new Float32Array(Math.max(this.input.length * 2, this.length + count));
      bigger.set(this.input.subarray(0, this.length));
      this.input = bigger;
    }
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let c = 0; c < channels.length; c++) sum += channels[c][i];
      this.input[this.length + i] = sum / channels.length;
    }
    this.length += count;
  }

  resample() {
    while (this.position + HALF < this.length) {
      const base = Math.floor(this.position);
      const taps = this.table[Math.min(PHASES - 1, Math.round((this.position - base) * PHASES))];
      const start = base - (HALF - 1);
      let value = 0;
      for (let k = 0; k < taps.length; k++) value += this.input[start + k] * taps[k];
      this.emit(value);
      this.position += this.step;
    }
    // Keep only the history the filter still needs.
    const drop = Math.floor(this.position) - HALF;
    if (drop > 0) {
      this.input.copyWithin(0, drop, this.length);
      this.length -= drop;
      this.position -= drop;
    }
  }

  emit(value) {
    const clipped = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    this.energy += clipped * clipped;
    if (this.filled === FRAME) this.send();
  }

  send() {
    const pcm = this.frame.slice(0, this.filled).buffer;
    const rms = Math.sqrt(this.energy / Math.max(1, this.filled));
    this.port.postMessage({ pcm, rms }, [pcm]);
    this.filled = 0;
    this.energy = 0;
  }

  flush() {
    if (this.filled > 0) this.send();
    this.port.postMessage({ flushed: true });
  }

  process(inputs) {
    const channels = inputs[0];
    if (channels && channels.length && channels[0].length) {
      this.append(channels, channels[0].length);
      this.resample();
    }
    return true;
  }
}

registerProcessor("mina-pcm", PcmWorklet);
