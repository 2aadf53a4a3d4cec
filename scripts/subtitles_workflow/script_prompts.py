"""Short prompts, written in a language's own script, that steer Whisper back to that script
(Hindi that came out in Urdu letters, say). One file per language:
scripts/data/script_prompts/<language>.txt, `#` comments and blank lines left out; the stage's
code digest covers that folder, so editing a prompt re-runs asr. Stdlib only."""

from __future__ import annotations

from pathlib import Path

PROMPTS = Path(__file__).resolve().parents[1] / "data" / "script_prompts"


def script_prompt(language: str, folder: Path = PROMPTS) -> str | None:
    """The language's prompt (its lines joined by spaces), or None when there is none."""
    path = folder / f"{language}.txt"
    if not path.is_file():
        return None
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return " ".join(line for line in lines if line) or None
