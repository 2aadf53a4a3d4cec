"""Which stretches of a Whisper transcript to decode again, and what to keep afterwards.

Batched decoding has no temperature fallback, so a window that loops ("दिवा" 15 times) or
answers in the wrong script (Hindi in Urdu letters) gets through. The asr stage finds those
segments here, decodes their window again sequentially with the fallback (and, for the
script, a prompt in the right script), splices the result in and drops what still loops or
is too fast to be speech.
Pure logic on segment records (dicts with start, end, text), stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from subtitles_workflow.punctuation import CLAUSE_END, SENTENCE_END
from subtitles_workflow.repetition import crammed_reason, looping_reason, normalised_words, not_words_reason
from subtitles_workflow.writing_systems import EXPECTED_SCRIPT, in_expected_script, script_shares

# Whisper decodes 30 s at a time: a speech region up to this long is re-decoded whole.
WINDOW_SECONDS = 30.0
# Around a segment inside a longer region: a little context on either side.
MARGIN_SECONDS = 0.5
# How alike a word and a prompt word are (difflib's ratio) to count as the prompt written back:
# one character off a 6-character word is 0.83, two are 0.67.
PROMPT_WORD_LIKENESS = 0.66
# Whisper's own fallback settings (openai/whisper transcribe defaults), and no 3-token
# sequence twice: a window decoded again has looped or drifted into another script once, and a
# script prompt can loop at every temperature ("नहीं नहीं नहीं ..." on the Jaipur clip, then
# judged silence) where blocking the repeat gives its words at temperature 0.
FALLBACK_DECODING = {
    "temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
    "compression_ratio_threshold": 2.4,
    "log_prob_threshold": -1.0,
    "no_repeat_ngram_size": 3,
}


def script_problem(text: str, language: str) -> str | None:
    """'not in DEVANAGARI script (0% of letters)' when most letters are in another script;
    None when the text is right, has no letters, or the language is not in the table."""
    if in_expected_script(text, language) is not False:
        return None
    expected = EXPECTED_SCRIPT[language]
    return f"not in {expected} script ({script_shares(text).get(expected, 0.0):.0%} of letters)"


def segment_loop(segment: dict) -> str | None:
    """Why the segment loops, judged on its text and how long it lasts (subtitles_workflow/repetition.py)."""
    return looping_reason(segment["text"], segment["end"] - segment["start"])


def segment_problems(segment: dict, language: str) -> list[str]:
    """Why a segment should be decoded again: a loop, not words, the wrong script, or none."""
    reasons = (segment_loop(segment), not_words_reason(segment["text"]), script_problem(segment["text"], language))
    return [reason for reason in reasons if reason]


def is_script_problem(reason: str) -> bool:
    return reason.startswith("not in ")


def still_wrong_script(segments: list[dict], language: str) -> bool:
    """Whether a window decoded again with a script prompt needs the next step (other scripts'
    tokens suppressed): some segment is still in another script, or none came back at all
    (Whisper skipped the window as silence, though the first pass heard speech there)."""
    if not any(s["text"].strip() for s in segments):
        return True
    return any(script_problem(s["text"], language) for s in segments)


@dataclass
class Window:
    """A stretch of the audio to decode again, and why."""

    start: float
    end: float
    reasons: list[str] = field(default_factory=list)

    @property
    def needs_script_prompt(self) -> bool:
        return any(map(is_script_problem, self.reasons))


def window_around(segment: dict, regions: list[dict] | None, duration: float) -> tuple[float, float]:
    """The speech region the segment lies in when that fits one Whisper window (re-decoding it
    whole gives the decoder the context batched decoding had), else the segment plus a margin,
    within its region or the audio."""
    middle = (segment["start"] + segment["end"]) / 2
    low, high = 0.0, duration
    for region in regions or []:
        if region["start"] <= middle <= region["end"]:
            if region["end"] - region["start"] <= WINDOW_SECONDS:
                return region["start"], region["end"]
            low, high = region["start"], region["end"]
            break
    return max(low, segment["start"] - MARGIN_SECONDS), min(high, segment["end"] + MARGIN_SECONDS)


def windows_to_redecode(
    segments: list[dict], language: str, regions: list[dict] | None, duration: float
) -> list[Window]:
    """The windows holding a looping or wrong-script segment, overlapping ones merged. When the
    transcript as a whole is in the wrong script, every segment counts as wrong."""
    whole = script_problem(" ".join(s["text"] for s in segments), language)
    windows: list[Window] = []
    for segment in segments:
        reasons = segment_problems(segment, language)
        if whole and not any(map(is_script_problem, reasons)) and segment["text"].strip():
            reasons.append(f"transcript {whole}")
        if not reasons:
            continue
        start, end = window_around(segment, regions, duration)
        if windows and start <= windows[-1].end:
            windows[-1].end = max(windows[-1].end, end)
            windows[-1].reasons += [r for r in reasons if r not in windows[-1].reasons]
        else:
            windows.append(Window(start, end, reasons))
    return windows


def in_window(segment: dict, window: Window) -> bool:
    return window.start <= (segment["start"] + segment["end"]) / 2 <= window.end


def is_prompt_word(word: str, prompt_words: set[str]) -> bool:
    """A prompt word, or of 4+ characters and close to one: Whisper writes its prompt back
    misspelt ("हमस्ते" for "नमस्ते"). Shorter words are too often one letter apart ("बाद", "बात")."""
    if word in prompt_words:
        return True
    return len(word) >= 4 and any(SequenceMatcher(None, word, p).ratio() >= PROMPT_WORD_LIKENESS for p in prompt_words)


def echoes_prompt(text: str, prompt: str | None) -> bool:
    """Whether a segment is mostly the prompt's own words: Whisper sometimes writes (part of)
    its prompt back ("आज ही बात करेंगे।" after "नमस्ते, आज हम हिंदी में बात करेंगे।")."""
    words, prompt_words = normalised_words(text), set(normalised_words(prompt or ""))
    return len(words) >= 2 and sum(is_prompt_word(w, prompt_words) for w in words) * 3 >= len(words) * 2


def without_prompt_echo(segment: dict, prompt: str | None) -> dict:
    """The segment without the leading sentences or clauses that write the prompt back (the
    rest of the segment is speech: "आज ही बात करेंगे। आज सम्वीदा पर काम ..." keeps its second
    sentence, "आज हमस्ते, मेरिस की ..." its second clause)."""
    words = segment.get("words") or []
    while words:
        end = next((i for i, w in enumerate(words) if w["word"].endswith(SENTENCE_END + CLAUSE_END)), len(words) - 1)
        sentence = " ".join(w["word"] for w in words[: end + 1])
        if end == len(words) - 1 or not echoes_prompt(sentence, prompt):
            break
        words = words[end + 1 :]
    if len(words) == len(segment.get("words") or []):
        return segment
    text = " ".join(w["word"] for w in words)
    return {**segment, "start": words[0]["start"], "text": text, "words": words}


def why_dropped(segment: dict, prompt: str | None) -> str | None:
    loop = segment_loop(segment)
    if loop:
        return f"still loops after re-decoding: {loop}"
    crammed = crammed_reason(segment["text"], segment["end"] - segment["start"])
    if crammed:
        return f"too fast to be speech: {crammed}"
    not_words = not_words_reason(segment["text"])
    if not_words:
        return not_words
    return "echoes the prompt" if echoes_prompt(segment["text"], prompt) else None


def splice(
    segments: list[dict], window: Window, redecoded: list[dict], prompt: str | None = None
) -> tuple[list[dict], list[dict]]:
    """The transcript with the window's segments replaced by their re-decoded ones, each marked
    with why ("redecoded"); those that still loop, are too fast to be speech or echo the
    `prompt` they were decoded with are left out and returned as dropped. When nothing came
    back, the window's first pass stays (but what loops or is crammed in it is dropped)."""
    reason = "; ".join(window.reasons)
    if not redecoded:
        # Nothing came back (Whisper judged the window silent, though the first pass heard
        # speech): the first pass stays, in the wrong script if so (the QC flags it), judged
        # with no prompt, so only what loops or is crammed is dropped. Never lost without a trace.
        redecoded = [s for s in segments if in_window(s, window) and s["text"].strip()]
        prompt, reason = None, f"{reason}; nothing came back, first pass kept"
    kept, dropped = [], []
    for segment in redecoded:
        segment = without_prompt_echo(segment, prompt)
        problem = why_dropped(segment, prompt)
        if problem:
            dropped.append({"start": segment["start"], "end": segment["end"], "text": segment["text"], "reason": problem})
        else:
            kept.append({**segment, "redecoded": reason})
    before = [s for s in segments if not in_window(s, window) and s["start"] < window.start]
    after = [s for s in segments if not in_window(s, window) and s["start"] >= window.start]
    return before + kept + after, dropped
