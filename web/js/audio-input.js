// Sound into the page: any file the browser decodes (decodeAudioData) and microphone
// recordings, as mono Float32 PCM. Resampling to the model's rate happens in the engine.
export const MAX_RECORDING_SECONDS = 30;
const DECODE_RATE = 48000;

export function isAudioFile(file) {
  return file.type?.startsWith('audio/') || /\.(wav|mp3|ogg|oga|flac|m4a|aac|opus|webm)$/i.test(file.name || '');
}

// {samples, sampleRate} of a File/Blob/URL, the channels averaged.
export async function decodeAudio(source) {
  const bytes = typeof source === 'string'
    ? await fetch(source).then((r) => { if (!r.ok) throw new Error(`cannot load ${source}`); return r.arrayBuffer(); })
    : await source.arrayBuffer();
  if (bytes.byteLength === 0) throw new Error('the sound file is empty');
  if (bytes.byteLength > 256 << 20) throw new Error(`the sound file is ${(bytes.byteLength / 2 ** 20).toFixed(0)} MB; the limit is 256 MB`);
  let buffer;
  try {
    buffer = await new OfflineAudioContext(1, 1, DECODE_RATE).decodeAudioData(bytes);
  } catch (e) {
    throw new Error(`the browser cannot decode this sound file (${e.message || 'unknown format'})`);
  }
  const samples = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < data.length; i++) samples[i] += data[i] / buffer.numberOfChannels;
  }
  if (!samples.length) throw new Error('the sound file has no samples');
  return { samples, sampleRate: buffer.sampleRate };
}

// A microphone recording: start() asks for the microphone and records until stop() or
// MAX_RECORDING_SECONDS; onLevel(rms 0..1) drives a level meter; resolves to the recorded Blob.
export class Recorder {
  constructor(onLevel) { this.onLevel = onLevel; }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    this.context = new AudioContext();
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 1024;
    this.context.createMediaStreamSource(this.stream).connect(analyser);
    const frame = new Float32Array(analyser.fftSize);
    const meter = () => {
      if (!this.context) return;
      analyser.getFloatTimeDomainData(frame);
      this.onLevel?.(Math.sqrt(frame.reduce((s, v) => s + v * v, 0) / frame.length));
      requestAnimationFrame(meter);
    };
    meter();
    const chunks = [];
    this.recorder = new MediaRecorder(this.stream);
    this.recorder.ondataavailable = (e) => chunks.push(e.data);
    const done = new Promise((resolve) => { this.recorder.onstop = () => resolve(new Blob(chunks, { type: this.recorder.mimeType })); });
    this.recorder.start();
    this.timer = setTimeout(() => this.stop(), MAX_RECORDING_SECONDS * 1000);
    return done;
  }

  stop() {
    clearTimeout(this.timer);
    if (this.recorder?.state === 'recording') this.recorder.stop();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.context?.close();
    this.context = null;
    this.onLevel?.(0);
  }
}
