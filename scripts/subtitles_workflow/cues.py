"""What a subtitle file is made of: the transcript's words (Word), the loops dropped from them
(Loop), the cues shown (Cue), the subtitles config block (Style), and how wide text is on
screen (graphemes)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import regex


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None
    # True where a sentence ends after this word though the transcript has no punctuation.
    ends_sentence: bool = False


@dataclass(frozen=True)
class Loop:
    """Text dropped because the recogniser repeated it (a decoder loop), kept for the QC."""

    start: float
    text: str
    repeats: int


@dataclass
class Style:
    """The subtitles config block (config/schemas/config.schema.yaml describes each field and
    holds its default), with max_cps resolved for one language by the rule and fps for one
    film by main() (the film's own frame rate, else the configured one)."""

    max_lines: int
    max_line_chars: int
    max_cps: float
    min_duration: float
    max_duration: float
    fps: float
    min_gap_frames: int
    close_gap: float
    linger: float
    pause_break: float
    lead_in_frames: int
    max_start_delay: float
    min_flash: float
    sentence_pause: float
    min_word_step: float
    shot_snap_frames: int

    @property
    def min_gap(self) -> float:
        return self.min_gap_frames / self.fps

    @property
    def lead_in(self) -> float:
        return self.lead_in_frames / self.fps


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str] = field(default_factory=list)
    words: tuple[Word, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


GRAPHEME = regex.compile(r"\X")


@functools.lru_cache(maxsize=1 << 16)
def graphemes(text: str) -> int:
    """Displayed width in user-perceived characters (Devanagari marks do not count)."""
    return len(GRAPHEME.findall(text))
