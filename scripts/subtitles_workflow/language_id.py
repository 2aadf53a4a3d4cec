"""Which language a film speaks, for `source_language: auto`: Whisper's language detection over
several 30 s windows of speech spread across the film, their distributions combined, and what
to do when the result is not confident (issue 28, item 2).

faster-whisper detects the language on the first 30 s it is given and nothing else: a noisy
English clip came out as Italian (p=0.28), named out/friday.it.srt, without a word in any log.
Here every window of speech votes with its whole distribution over Whisper's languages (their
mean, weighted by the seconds of speech in each window), so one noisy opening no longer decides
for a film, and a film whose windows disagree (two languages, or noise) ends up unconfident.

Below the threshold (asr.language_threshold, 0.6) the stage follows asr.language_fallback:
`stop` (the default) fails the film with one line giving the detected language and what to
set; a language code decodes the film in that language instead, with one warning line in the
job log and the transcript's `language_warning`. Every transcript of an `auto` film records
the detection (`language_detection`). How the threshold and the default were chosen:
bench/language_id.py and docs/languages.md ("Spoken language detection").

The window choice, the combining and the decision are plain functions (tests/unit/
test_language_id.py); only `detect` and `window_distribution` touch the model.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from subtitles_workflow.io import StageError

log = logging.getLogger("stage")

WINDOW_S = 30.0  # Whisper's window: one encoder pass per detection window
MAX_WINDOWS = 5  # one encoder pass each: base, int8, ~1 CPU-second a window
STOP = "stop"  # asr.language_fallback: fail the film instead of guessing
RANKED = 5  # languages recorded in the transcript, most likely first


@dataclass(frozen=True)
class Window:
    """One detection window: the speech spans (film seconds) joined into at most 30 s."""

    spans: tuple[tuple[float, float], ...]

    @property
    def speech_s(self) -> float:
        return sum(end - start for start, end in self.spans)

    @property
    def start(self) -> float:
        return self.spans[0][0]

    @property
    def end(self) -> float:
        return self.spans[-1][1]


def detection_windows(
    regions: Sequence[dict[str, float]] | None, duration: float, count: int = MAX_WINDOWS, window: float = WINDOW_S
) -> list[Window]:
    """Up to `count` windows of `window` s of speech, centred at evenly spaced points of the
    film's speech (the regions laid end to end), so they reach its middle and its end, not just
    its opening: ceil(speech / window) of them, at most `count`. No regions (VAD off): the
    whole film counts as speech."""
    spans = [(float(r["start"]), float(r["end"])) for r in regions] if regions is not None else [(0.0, float(duration))]
    spans = [(start, end) for start, end in spans if end > start]
    total = sum(end - start for start, end in spans)
    if total <= 0:
        return []
    length = min(window, total)
    number = max(1, min(count, math.ceil(total / window - 1e-9)))
    windows = []
    for index in range(number):
        centre = (index + 0.5) * total / number
        first = min(max(0.0, centre - length / 2), total - length)
        windows.append(Window(speech_between(spans, first, first + length)))
    return windows


def speech_between(spans: list[tuple[float, float]], first: float, last: float) -> tuple[tuple[float, float], ...]:
    """The film spans holding seconds `first`..`last` of the speech laid end to end."""
    found = []
    before = 0.0  # seconds of speech before this span
    for start, end in spans:
        length = end - start
        low, high = max(first - before, 0.0), min(last - before, length)
        if high > low:
            found.append((round(start + low, 3), round(start + high, 3)))
        before += length
        if before >= last:
            break
    return tuple(found)


def combine(distributions: Sequence[dict[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """The weighted mean of per-window language distributions, most likely first. A language
    missing from a window counts as 0 there."""
    total = float(sum(weights))
    if not distributions or total <= 0:
        return {}
    combined: dict[str, float] = {}
    for distribution, weight in zip(distributions, weights):
        for language, probability in distribution.items():
            combined[language] = combined.get(language, 0.0) + weight * probability / total
    return dict(sorted(combined.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class Detection:
    """The combined result: the most likely language, its probability, the runners-up and
    each window's own verdict."""

    language: str
    probability: float
    ranked: list[tuple[str, float]]  # the RANKED most likely, with their combined probability
    windows: list[dict[str, Any]] = field(default_factory=list)  # start, end, speech_s, language, probability
    method: str = "windows"
    combined: dict[str, float] = field(default_factory=dict)  # every language's combined probability

    @classmethod
    def from_windows(cls, windows: Sequence[Window], distributions: Sequence[dict[str, float]]) -> Detection:
        combined = combine(distributions, [w.speech_s for w in windows])
        if not combined:  # nothing to listen to: no speech at all
            return cls(language="", probability=0.0, ranked=[], method="no speech")
        language, probability = next(iter(combined.items()))
        per_window = []
        for window, distribution in zip(windows, distributions):
            top, top_p = max(distribution.items(), key=lambda item: item[1])
            per_window.append({"start": window.start, "end": window.end, "speech_s": round(window.speech_s, 3),
                               "language": top, "probability": round(top_p, 4)})  # fmt: skip
        ranked = [(code, round(p, 4)) for code, p in list(combined.items())[:RANKED]]
        return cls(language=language, probability=probability, ranked=ranked, windows=per_window, combined=combined)

    def probability_of(self, language: str) -> float:
        return self.combined.get(language, 0.0)


@dataclass(frozen=True)
class LanguagePolicy:
    """What the workflow says to do with an `auto` film (asr.language_threshold,
    asr.language_fallback, passed by the rule as --language-policy)."""

    threshold: float
    fallback: str  # an ISO 639-1 code, or STOP

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> LanguagePolicy:
        missing = [key for key in ("threshold", "fallback") if key not in raw]
        if missing:
            raise StageError(f"language policy lacks {', '.join(missing)} (defaults: config/schemas/config.schema.yaml)")
        return cls(threshold=float(raw["threshold"]), fallback=str(raw["fallback"]))

    def as_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "fallback": self.fallback}


@dataclass(frozen=True)
class Decision:
    language: str  # what the film is decoded in (and its subtitle files named after)
    probability: float  # the combined probability of that language
    warning: str | None  # the one line, when the detection was not confident


def decide(detection: Detection, policy: LanguagePolicy, film: str) -> Decision:
    """The detected language when its combined probability reaches the threshold; else one
    warning line and the fallback language, or StageError when the fallback is STOP."""
    if detection.language and detection.probability >= policy.threshold:
        return Decision(detection.language, detection.probability, None)
    if not detection.language:
        found = "no speech to detect the spoken language from"
    else:
        others = ", ".join(f"'{code}' {p:.2f}" for code, p in detection.ranked[1:3])
        found = (
            f"spoken language detected as '{detection.language}' with probability {detection.probability:.2f} "
            f"(below {policy.threshold:g}; {len(detection.windows)} window(s) of speech"
            + (f"; next {others}" if others else "") + ")"
        )  # fmt: skip
    remedy = "set the film's source_language in the media sheet (config/media.tsv) or config"
    if policy.fallback == STOP:
        raise StageError(f"{film}: {found}; stopping this film (asr.language_fallback: stop): {remedy}")
    warning = f"{film}: {found}; using the fallback '{policy.fallback}' (asr.language_fallback); if it is wrong, {remedy}"
    return Decision(policy.fallback, detection.probability_of(policy.fallback), warning)


def window_distribution(model, audio) -> dict[str, float]:
    """Whisper's probability for each language on one window of audio (16 kHz float32)."""
    from faster_whisper.audio import pad_or_trim

    extractor = model.feature_extractor
    features = extractor(audio)[..., : extractor.nb_max_frames]
    results = model.model.detect_language(model.encode(pad_or_trim(features)))[0]
    return {token[2:-2]: float(probability) for token, probability in results}  # "<|en|>" -> "en"


def detect(model, audio: Path, regions: Sequence[dict[str, float]] | None, count: int = MAX_WINDOWS) -> Detection:
    """The film's language over `count` windows of its speech (an English-only model: English)."""
    import numpy as np

    from subtitles_workflow.speech import read_wav, wav_seconds

    if not model.model.is_multilingual:
        return Detection(language="en", probability=1.0, ranked=[("en", 1.0)], method="English-only model", combined={"en": 1.0})
    windows = detection_windows(regions, wav_seconds(audio), count)
    distributions = []
    for window in windows:
        piece = np.concatenate([read_wav(audio, start, end) for start, end in window.spans])
        distributions.append(window_distribution(model, piece))
        top = max(distributions[-1].items(), key=lambda item: item[1])
        log.debug("language window %.2f-%.2f s (%.1f s of speech): %s p=%.2f",
                  window.start, window.end, window.speech_s, top[0], top[1])  # fmt: skip
    return Detection.from_windows(windows, distributions)


def detection_record(detection: Detection, policy: LanguagePolicy, decision: Decision) -> dict[str, Any]:
    """The transcript's `language_detection` field."""
    return {
        "method": detection.method,
        "language": detection.language,
        "probability": round(detection.probability, 4),
        "ranked": [[code, p] for code, p in detection.ranked],
        "windows": detection.windows,
        "threshold": policy.threshold,
        "fallback": policy.fallback,
        "used": decision.language,
    }


@dataclass(frozen=True)
class Identified:
    """What the asr stage does with an `auto` film: decode in `language`; record the rest."""

    language: str
    probability: float
    warning: str | None
    record: dict[str, Any]


def shown_path(audio: Path) -> str:
    """The audio as the job names it (work/demux/<name>.wav), also when a warm worker got it
    as an absolute path."""
    try:
        return str(Path(audio).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(audio)


def identify(model, audio: Path, regions: Sequence[dict[str, float]] | None, policy: dict[str, Any] | None) -> Identified:
    """Detect the film's language (`detect`), decide (`decide`) and log it: one INFO line, and
    the one WARNING line when it is below the threshold."""
    if policy is None:
        raise StageError("--language auto needs --language-policy (rules/asr.smk passes asr.language_threshold and _fallback)")
    rules = LanguagePolicy.from_mapping(policy)
    detection = detect(model, audio, regions)
    decision = decide(detection, rules, shown_path(audio))
    log.info(
        "spoken language %s (p=%.2f, %s, %d window(s); ranked %s)", detection.language or "none",
        detection.probability, detection.method, len(detection.windows),
        ", ".join(f"{code} {p:.2f}" for code, p in detection.ranked) or "-",
    )  # fmt: skip
    if decision.warning:
        log.warning("%s", decision.warning)
    return Identified(decision.language, decision.probability, decision.warning, detection_record(detection, rules, decision))
