"""Who says each word, from the diarize stage's speaker turns."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from subtitles_workflow.cues import Word


def assign_speakers(words: list[Word], turns: list[dict[str, Any]]) -> list[Word]:
    """Give each word the speaker whose turn overlaps it most (the nearest turn if none does),
    and mark the first word after each change of speaker with a leading dash."""
    if not turns:
        return words

    def speaker_of(word: Word) -> str:
        def overlap(turn: dict[str, Any]) -> float:
            return min(word.end, turn["end"]) - max(word.start, turn["start"])

        return str(max(turns, key=overlap)["speaker"])

    labelled, previous = [], None
    for word in words:
        speaker = speaker_of(word)
        text = f"- {word.text}" if previous is not None and speaker != previous else word.text
        labelled.append(replace(word, text=text, speaker=speaker))
        previous = speaker
    return labelled
