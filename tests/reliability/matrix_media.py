"""Small generated media for the reliability matrix (espeak-ng speech, ffmpeg signals)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def speech(path: Path, text: str = SENTENCE, voice: str = "en-us") -> Path:
    """Spoken `text` in any container ffmpeg can write, chosen by the file extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        if path.suffix == ".wav":
            shutil.copyfile(wav, path)
        elif path.suffix in (".mp4", ".mkv", ".mov"):
            ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-i", str(wav), "-shortest",
                   "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))  # fmt: skip
        else:
            ffmpeg("-i", str(wav), str(path))
    return path


def silence(path: Path, seconds: float = 5.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=16000:cl=mono:d={seconds}", str(path))
    return path


def noise_and_music(path: Path, seconds: float = 10.0) -> Path:
    """Pink noise under a chord: no speech at all."""
    ffmpeg(
        "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.2:d={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=220:d={seconds}", "-f", "lavfi", "-i", f"sine=frequency=277:d={seconds}",
        "-filter_complex", "amix=inputs=3", "-ar", "16000", str(path),
    )  # fmt: skip
    return path


def video_without_audio(path: Path, seconds: float = 3.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=24:duration={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


def truncated_mp4(path: Path) -> Path:
    """A real MP4 (index at the end, as ffmpeg writes it by default) cut to 40 %."""
    speech(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path


def two_audio_streams(path: Path, work: Path) -> Path:
    """MKV with an English stream (about 2.4 s of speech) and a Hindi-tagged stream (1 s of tone)."""
    english = speech(work / "english.wav", "One two three four five six.")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24:duration=4", "-i", str(english),
           "-f", "lavfi", "-i", "sine=frequency=440:d=1", "-map", "0:v", "-map", "1:a", "-map", "2:a",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "flac",
           "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=hin", str(path))  # fmt: skip
    return path


def long_recording(path: Path, minutes: float, work: Path) -> Path:
    """`minutes` of speech alternating with pauses (looped), as FLAC."""
    block = speech(work / "block.wav", " ".join([SENTENCE] * 3))
    padded = work / "padded.wav"
    ffmpeg("-i", str(block), "-af", "apad=pad_dur=4", "-ar", "16000", "-ac", "1", str(padded))
    ffmpeg("-stream_loop", "-1", "-i", str(padded), "-t", str(minutes * 60), "-c:a", "flac", str(path))
    return path


def half_downloaded(path: Path, work: Path, seconds: float = 198.0) -> Path:
    """A whole film of `seconds` (looped speech over a test pattern; an mp4 gets its index at the
    front, `+faststart`, as films for the web have it, so the cut half still opens), then cut to
    half its bytes, as an interrupted download or copy leaves it."""
    block = speech(work / "block.wav", " ".join([SENTENCE] * 3))
    padded = work / "padded.wav"
    ffmpeg("-i", str(block), "-af", "apad=pad_dur=2", "-ar", "16000", "-ac", "1", str(padded))
    faststart = ["-movflags", "+faststart"] if path.suffix in (".mp4", ".mov") else []
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=24:duration={seconds}",
           "-stream_loop", "-1", "-i", str(padded), "-t", str(seconds),
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", *faststart, str(path))  # fmt: skip
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path
