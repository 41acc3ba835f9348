#!/usr/bin/python3
"""Renders the instrument-note data set of the instruments models (in the spirit of NSynth): one
second of each General MIDI note at 16 kHz, grouped into ten instrument families, rendered with
fluidsynth from Debian's soundfonts (fluid-soundfont-gm, timgm6mb-soundfont,
musescore-general-soundfont).

    /usr/bin/python3 models/train/render_notes.py [--font fluidr3|timgm6mb|musescore] [--out DIR]
    /usr/bin/python3 models/train/render_notes.py --notes FONT OUTDIR PROGRAM:PITCH:VELOCITY ...

The second form writes one 16 kHz mono WAV per note, OUTDIR/<family>-<program>-<pitch>-<velocity>.wav
(test and demo inputs).

Each (font, program) is one fluidsynth run over a MIDI file with every pitch and velocity of
that program, two seconds apart (the note held for 0.75 s, then "all sound off" before the next
one), so no note leaks into the next clip. Notes whose clip is silent (a soundfont without a
sample there) are dropped. Results are cached in build/cache/notes-<font>.npz (never committed):
int16 audio [N, 16000] with family, program, pitch and velocity per note.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import wave

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RATE = 16000
SPACING = 2.0   # seconds between note onsets
HOLD = 0.75     # seconds between note-on and note-off (NSynth holds 3 of 4 seconds)
VELOCITIES = [50, 85, 120]

FONTS = {
    "fluidr3": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "timgm6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "musescore": "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
}

# Family → (General MIDI programs, 0-based; lowest and highest MIDI pitch). The pitch ranges
# follow the instruments' usual ranges, so no family is recognisable by pitch alone more than
# real instruments are.
FAMILIES = {
    "bass": (list(range(32, 40)), (28, 60)),              # acoustic, electric, fretless, slap, synth basses
    "brass": (list(range(56, 64)), (40, 82)),             # trumpet, trombone, tuba, muted trumpet, horn, sections
    "flute": (list(range(72, 80)), (60, 96)),             # piccolo, flute, recorder, pan flute, bottle, shakuhachi, whistle, ocarina
    "guitar": (list(range(24, 32)), (40, 84)),            # nylon, steel, jazz, clean, muted, overdriven, distortion, harmonics
    "keyboard": (list(range(0, 8)), (28, 96)),            # pianos, electric pianos, harpsichord, clavinet
    "mallet": (list(range(8, 16)), (53, 96)),             # celesta, glockenspiel, music box, vibraphone, marimba, xylophone, bells, dulcimer
    "organ": (list(range(16, 21)), (36, 84)),             # drawbar, percussive, rock, church, reed organ
    "reed": (list(range(64, 72)) + [21, 22, 23], (40, 84)),  # saxophones, oboe, English horn, bassoon, clarinet, accordions, harmonica
    "string": (list(range(40, 47)) + [48, 49, 50], (36, 88)),  # violin … contrabass, tremolo, pizzicato, harp, ensembles
    "vocal": ([52, 53, 54, 85], (48, 79)),                # choir aahs, voice oohs, synth voice, voice lead
}
LABELS = list(FAMILIES)


def family_of(program):
    return next(f for f, (programs, _) in FAMILIES.items() if program in programs)


def midi_file(notes):
    """A format-0 MIDI file: each (program, pitch, velocity) SPACING seconds apart."""
    ticks_per_second = 960  # division 480 at the default 120 bpm
    events = []
    for i, (program, pitch, velocity) in enumerate(notes):
        start = round(i * SPACING * ticks_per_second)
        events.append((start, bytes([0xC0, program])))
        events.append((start, bytes([0x90, pitch, velocity])))
        events.append((start + round(HOLD * ticks_per_second), bytes([0x80, pitch, 0])))
        events.append((start + round((SPACING - 0.05) * ticks_per_second), bytes([0xB0, 120, 0])))
    events.append((round(len(notes) * SPACING * ticks_per_second), b"\xff\x2f\x00"))
    track, now = bytearray(), 0
    for time, data in events:
        delta, now = time - now, time
        var = [delta & 0x7F]
        while delta > 0x7F:
            delta >>= 7
            var.insert(0, (delta & 0x7F) | 0x80)
        track += bytes(var) + data
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def render(font, notes, workdir):
    """Mono float32 audio of the whole sequence at RATE (dry: reverb and chorus off)."""
    mid, wav = os.path.join(workdir, "notes.mid"), os.path.join(workdir, "notes.wav")
    with open(mid, "wb") as f:
        f.write(midi_file(notes))
    subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(RATE), "-O", "s16",
                    "-T", "wav", "-F", wav, FONTS[font], mid], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with wave.open(wav) as w:
        assert w.getframerate() == RATE, w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
        return data.reshape(-1, w.getnchannels()).mean(1)


def clips(audio, count):
    """The first second after each onset."""
    out = np.zeros((count, RATE), dtype=np.float32)
    for i in range(count):
        piece = audio[round(i * SPACING * RATE):round(i * SPACING * RATE) + RATE]
        out[i, :len(piece)] = piece
    return out


def render_font(font):
    cache = os.path.join(ROOT, "build", "cache", f"notes-{font}.npz")
    if os.path.exists(cache):
        return dict(np.load(cache))
    parts = {"audio": [], "family": [], "program": [], "pitch": [], "velocity": []}
    with tempfile.TemporaryDirectory() as workdir:
        for family, (programs, (lo, hi)) in FAMILIES.items():
            notes = [(p, v) for p in range(lo, hi + 1) for v in VELOCITIES]
            for program in programs:
                audio = clips(render(font, [(program, p, v) for p, v in notes], workdir), len(notes))
                peak = np.abs(audio).max(1)
                keep = peak > 1e-3  # -60 dBFS: nothing was rendered for this note
                parts["audio"].append(np.round(np.clip(audio[keep], -1, 1) * 32767).astype(np.int16))
                parts["family"] += [LABELS.index(family)] * int(keep.sum())
                parts["program"] += [program] * int(keep.sum())
                parts["pitch"] += [p for (p, _), k in zip(notes, keep) if k]
                parts["velocity"] += [v for (_, v), k in zip(notes, keep) if k]
            print(f"{font}: {family} rendered ({sum(len(a) for a in parts['audio'])} notes so far)", flush=True)
    data = {"audio": np.concatenate(parts["audio"])}
    for key in ("family", "program", "pitch", "velocity"):
        data[key] = np.array(parts[key], dtype=np.int16)
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    np.savez(cache, **data)
    return data


def write_wav(path, audio):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.round(np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--font", choices=list(FONTS), action="append")
    parser.add_argument("--notes", nargs="+", metavar="ARG",
                        help="FONT OUTDIR PROGRAM:PITCH:VELOCITY ...: one WAV per note (demo inputs and tests)")
    args = parser.parse_args()
    if args.notes:
        font, outdir, specs = args.notes[0], args.notes[1], args.notes[2:]
        if font not in FONTS or not specs:
            sys.exit(f"--notes needs a font ({', '.join(FONTS)}), a folder and PROGRAM:PITCH:VELOCITY notes")
        notes = [tuple(int(v) for v in spec.split(":")) for spec in specs]
        os.makedirs(outdir, exist_ok=True)
        with tempfile.TemporaryDirectory() as workdir:
            audio = clips(render(font, notes, workdir), len(notes))
        for (program, pitch, velocity), a in zip(notes, audio):
            if np.abs(a).max() <= 1e-3:
                sys.exit(f"{font} has no sound for program {program} at pitch {pitch}")
            write_wav(os.path.join(outdir, f"{family_of(program)}-{program}-{pitch}-{velocity}.wav"), a)
        return
    for font in args.font or list(FONTS):
        data = render_font(font)
        print(f"{font}: {len(data['audio'])} notes", flush=True)


if __name__ == "__main__":
    main()
