"""align: refine word timestamps by CTC forced alignment with a wav2vec2 model (whisperx's
method, through transformers), segment by segment, then move each word's edges to the speech
the audio holds there (subtitles_workflow/word_timing.py, as the asr stage does for Whisper's times).

Alignment models are per language and not on PyPI: `align.models` names a hub repository or a
local directory, which the workflow fetches (or records) once as a model artifact (rules/models.smk);
`--model-path` is its manifest, and this stage loads the folder the manifest names, never the hub
(local_files_only). When the language has none, the transcript passes through unchanged with a
warning (never a failure).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import numpy as np

from subtitles_workflow.io import StageError, run_cli, setup_logging
from subtitles_workflow.model_source import manifest_folder, model_source
from subtitles_workflow.speech import read_wav
from subtitles_workflow.transcript import Transcript, read_transcript, write_transcript
from subtitles_workflow.word_timing import refine_aligned_timing

SAMPLE_RATE = 16_000
PAD_SECONDS = 0.2
log = logging.getLogger("stage")


def forced_alignment(emissions: np.ndarray, tokens: list[int], blank: int = 0) -> list[tuple[int, int]]:
    """Viterbi CTC alignment: for each token, the (first, last) frame it is emitted on.

    `emissions` is frames x vocabulary log-probabilities. After entering token j a path stays
    there by emitting blank or repeating token j, or advances by entering token j + 1."""
    frames, count = emissions.shape[0], len(tokens)
    if count == 0 or frames < count:
        return []
    token_scores = emissions[:, tokens]  # frames x count
    blank_scores = emissions[:, blank]
    stay_scores = np.maximum(blank_scores[:, None], token_scores)  # staying in token j
    trellis = np.full((frames + 1, count + 1), -np.inf)
    trellis[0, 0] = 0.0
    for t in range(frames):
        trellis[t + 1, 0] = trellis[t, 0] + blank_scores[t]
        trellis[t + 1, 1:] = np.maximum(trellis[t, 1:] + stay_scores[t], trellis[t, :-1] + token_scores[t])
    first, last = [-1] * count, [-1] * count
    j = count
    for t in range(frames, 0, -1):  # backtrack from the last token at the last frame
        frame = t - 1
        if j == 0:
            break
        entered = trellis[frame, j - 1] + token_scores[frame, j - 1]
        stayed = trellis[frame, j] + stay_scores[frame, j - 1]
        if entered >= stayed:
            first[j - 1] = frame
            last[j - 1] = frame if last[j - 1] < 0 else last[j - 1]
            j -= 1
        elif token_scores[frame, j - 1] > blank_scores[frame] and last[j - 1] < 0:
            last[j - 1] = frame  # a repeat of the token: its emission lasts until here
    return list(zip(first, last))


def word_tokens(word: str, vocab: dict[str, int]) -> list[int]:
    """The word's characters the model knows (case-folded as CTC vocabularies are)."""
    lowercase = any(k.islower() for k in vocab if len(k) == 1)
    text = word.lower() if lowercase else word.upper()
    return [vocab[ch] for ch in text if ch in vocab]


def align_segment(samples: np.ndarray, words: list[dict[str, Any]], offset: float, model, processor) -> int:
    """Refine `words` in place; returns how many were aligned."""
    import torch

    vocab = processor.tokenizer.get_vocab()
    blank = processor.tokenizer.pad_token_id or 0
    per_word = [word_tokens(w["word"], vocab) for w in words]
    flat = [token for tokens in per_word for token in tokens]
    if not flat:
        return 0
    inputs = processor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    with torch.inference_mode():
        logits = model(inputs.input_values).logits[0]
    emissions = torch.log_softmax(logits, dim=-1).numpy()
    spans = forced_alignment(emissions, flat, blank)
    if not spans:
        return 0
    seconds_per_frame = len(samples) / SAMPLE_RATE / emissions.shape[0]
    aligned, index = 0, 0
    for word, tokens in zip(words, per_word):
        if tokens:
            first, last = spans[index][0], spans[index + len(tokens) - 1][1]
            word["start"] = round(offset + first * seconds_per_frame, 3)
            word["end"] = round(offset + (last + 1) * seconds_per_frame, 3)
            aligned += 1
            index += len(tokens)
    return aligned


def align(transcript: Transcript, audio: Path, model_dir: str, name: str = "") -> Transcript:
    """`model_dir` is the folder loaded; `name` the model as configured (default: the folder)."""
    language = transcript.get("language")
    name = name or model_dir
    if not model_dir or not Path(model_dir).exists():
        reason = f"no alignment model for language {language!r} (config align.models)" if not model_dir else f"{model_dir} not found"
        log.warning("alignment skipped: %s; keeping the ASR word timestamps", reason)
        return {**transcript, "alignment": {"status": "skipped", "reason": reason}}
    from transformers import AutoModelForCTC, AutoProcessor

    try:
        processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
        model = AutoModelForCTC.from_pretrained(model_dir, local_files_only=True).eval()
    except Exception as err:  # a broken model dir: say which, keep going without alignment
        raise StageError(f"alignment model {name} ({model_dir}) could not be loaded ({str(err).splitlines()[0][:150]}); fix or unset align.models.{language}") from None
    samples = read_wav(audio)
    aligned = total = 0
    for segment in transcript.get("segments", []):
        words = segment.get("words") or []
        total += len(words)
        start = max(0.0, segment["start"] - PAD_SECONDS)
        end = min(len(samples) / SAMPLE_RATE, segment["end"] + PAD_SECONDS)
        piece = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        if words and len(piece) > SAMPLE_RATE // 10:
            done = align_segment(piece, words, start, model, processor)
            aligned += done
            log.debug("segment %.2f-%.2f s: %d of %d words aligned", segment["start"], segment["end"], done, len(words))
        else:
            log.debug("segment %.2f-%.2f s: not aligned (%s)", segment["start"], segment["end"],
                      "no words" if not words else "under 0.1 s of audio")  # fmt: skip
    log.info("aligned %d of %d words with %s (%s)", aligned, total, name, model_dir)
    transcript = refine_aligned_timing(transcript, audio)
    alignment = {"status": "aligned", "model": name, "source": model_source(model_dir), "aligned_words": aligned, "words": total}
    return {**transcript, "alignment": alignment}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, required=True)
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model", default="", help="the language's wav2vec2 CTC model as configured (hub id or directory)")
    parser.add_argument("--model-path", default="", help="the model's manifest (rules/models.smk): its folder is loaded")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    transcript = read_transcript(args.transcript)
    folder = manifest_folder(args.model_path) if args.model_path else args.model
    write_transcript(align(transcript, args.audio, folder, args.model), args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
