"""translate: word-level transcript JSON -> translated JSON with the same timeline.

Whole sentences are translated (segments merged at sentence ends), in batches, by a seq2seq
model through transformers `generate()`: NLLB, M2M100, Marian, or IndicTrans2 with
IndicTransToolkit's pre/post-processing. Each translated sentence is laid back over its source
span: a target word at a given fraction of the sentence's characters gets the time at which the
source reached that fraction, so pauses inside the sentence are kept and nothing drifts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subtitles_workflow.hub import hub_reachable
from subtitles_workflow.model_source import manifest_folder, model_source
from subtitles_workflow.io import StageError, run_cli, setup_logging
from subtitles_workflow.languages import backend_codes
from subtitles_workflow.punctuation import SENTENCE_END
from subtitles_workflow.transcript import TRANSLATION_SCHEMA, read_transcript, write_transcript

log = logging.getLogger("stage")


@dataclass
class SourceWord:
    text: str
    start: float
    end: float


@dataclass
class Sentence:
    words: list[SourceWord]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def sentences_from_transcript(transcript: dict[str, Any], pause: float = 1.5, max_words: int = 80) -> list[Sentence]:
    """Regroup the transcript's words into sentences: a sentence ends at end punctuation, at a
    pause of `pause` seconds, or after `max_words` words (a model input must stay bounded)."""
    sentences: list[Sentence] = []
    current: list[SourceWord] = []
    for segment in transcript.get("segments", []):
        words = segment.get("words") or []
        if not words and segment.get("text", "").strip():  # no word timings: one span
            words = [{"word": segment["text"], "start": segment["start"], "end": segment["end"]}]
        for raw in words:
            word = SourceWord(raw["word"].strip(), float(raw["start"]), float(raw["end"]))
            if not word.text:
                continue
            if current and (word.start - current[-1].end >= pause or len(current) >= max_words):
                sentences.append(Sentence(current))
                current = []
            current.append(word)
            if word.text.endswith(SENTENCE_END):
                sentences.append(Sentence(current))
                current = []
    if current:
        sentences.append(Sentence(current))
    return sentences


def time_at(words: list[SourceWord], fraction: float) -> float:
    """The time at which the source sentence had reached `fraction` of its characters."""
    total = sum(len(w.text) for w in words)
    position, target = 0.0, fraction * total
    for word in words:
        length = len(word.text)
        if target <= position + length:
            share = (target - position) / length if length else 0.0
            return word.start + share * (word.end - word.start)
        position += length
    return words[-1].end


def lay_over(translation: str, sentence: Sentence) -> list[dict[str, Any]]:
    """Target words with times spread over the source sentence's timeline."""
    tokens = translation.split()
    total = sum(len(t) for t in tokens) or 1
    words, position = [], 0
    for token in tokens:
        start = time_at(sentence.words, position / total)
        position += len(token)
        end = time_at(sentence.words, position / total)
        words.append({"word": token, "start": round(start, 3), "end": round(max(end, start), 3), "probability": 1.0})
    return words


# ------------------------------------------------------------------------------- backends
def load_seq2seq(model_id: str, trust_remote_code: bool = False):
    """Tokenizer and model from a local directory, the Hugging Face cache, or the hub; one clear
    line when none has it (no stack trace, no long hang on an unreachable hub)."""
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "10")
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    local = Path(model_id).expanduser()
    source = str(local) if local.exists() else model_id
    offline = local.exists() or os.environ.get("HF_HUB_OFFLINE") == "1"
    attempts = [True] if offline else [True, False]
    last_error: Exception | None = None
    for local_only in attempts:  # the cache first: no network when the model is already here
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                source, local_files_only=local_only, trust_remote_code=trust_remote_code
            )
            model = AutoModelForSeq2SeqLM.from_pretrained(
                source, local_files_only=local_only, trust_remote_code=trust_remote_code
            )
            return tokenizer, model.eval()
        except Exception as err:  # OSError, hub errors, ValueError: the remedy is the same
            last_error = err
            if local_only and not offline and not hub_reachable():
                break  # huggingface_hub would retry an unreachable host for about a minute
    reason = (str(last_error).strip().splitlines() or [type(last_error).__name__])[0][:200]
    raise StageError(
        f"translation model '{model_id}' is not available locally and could not be downloaded ({reason}); "
        f"download it where the Hugging Face hub is reachable (`hf download {model_id}`) into the HF cache, "
        "or set translate.models in config/config.yaml to a local model directory"
    )


class Seq2SeqTranslator:
    """NLLB, M2M100 and Marian through `generate()`; they differ only in how the target
    language is chosen."""

    def __init__(self, backend: str, model_id: str, source: str, target: str, options: dict[str, Any]):
        import torch

        self.torch = torch
        self.backend = backend
        self.source, self.target = backend_codes(backend, source, target)
        self.tokenizer, self.model = load_seq2seq(model_id, trust_remote_code=backend == "indictrans2")
        self.options = options
        torch.set_num_threads(int(options.get("threads", 1)))
        if backend in ("nllb", "m2m100"):
            self.tokenizer.src_lang = self.source

    def generate_kwargs(self) -> dict[str, Any]:
        kwargs = {
            "num_beams": int(self.options.get("num_beams", 4)),
            "max_new_tokens": int(self.options.get("max_length", 256)),
        }
        if self.backend == "nllb":
            kwargs["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(self.target)
        elif self.backend == "m2m100":
            kwargs["forced_bos_token_id"] = self.tokenizer.get_lang_id(self.target)
        return kwargs

    def preprocess(self, texts: list[str]) -> list[str]:
        return texts

    def postprocess(self, texts: list[str]) -> list[str]:
        return texts

    def translate(self, texts: list[str]) -> list[str]:
        batch = self.tokenizer(
            self.preprocess(texts),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=int(self.options.get("max_length", 256)),
        )
        with self.torch.inference_mode():
            generated = self.model.generate(**batch, **self.generate_kwargs())
        decoded = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        return [text.strip() for text in self.postprocess(decoded)]


class _VisargaRule:
    """What the normalisers' visarga rule meant: a colon after a letter of the script becomes
    a visarga (the script's block start + 3). Ignores the broken replacement passed to sub()."""

    def __init__(self, block_start: int):
        self.pattern = re.compile(f"([{chr(block_start)}-{chr(block_start + 0x7F)}]):")
        self.replacement = "\\1" + chr(block_start + 3)

    def sub(self, _replacement: str, text: str) -> str:
        return self.pattern.sub(self.replacement, text)


def repair_indic_normalizers() -> None:
    """indic-nlp-library-itt 0.1.1 (the only release, required by IndicTransToolkit 1.1.1)
    double-escapes its Unicode literals: NUKTA is the six characters '\\u093C', so every ड़/ज़/फ़
    reaches the model and the subtitles as that text, and the visarga rule turns '9:30' into
    '\\1ः30'. Restore both on the normaliser classes before IndicProcessor builds any."""
    from indicnlp.normalize import indic_normalize

    for cls in vars(indic_normalize).values():
        if not (isinstance(cls, type) and issubclass(cls, indic_normalize.BaseNormalizer)):
            continue
        nukta = getattr(cls, "NUKTA", None)
        if isinstance(nukta, str) and nukta.startswith("\\u"):
            cls.NUKTA = nukta.encode().decode("unicode_escape")
        if getattr(cls.__init__, "repaired", False):
            continue
        original_init = cls.__init__

        def init(self, *args, _original=original_init, **kwargs):
            _original(self, *args, **kwargs)
            broken = getattr(self, "visarga_pattern", None)
            found = re.search(r"\\\\u([0-9a-fA-F]{4})-", getattr(broken, "pattern", ""))
            if found:
                self.visarga_pattern = _VisargaRule(int(found[1], 16))

        init.repaired = True
        cls.__init__ = init


class IndicTrans2Translator(Seq2SeqTranslator):
    """IndicTrans2: IndicTransToolkit adds the language tags and normalises/transliterates
    the input, and restores script and entities in the output."""

    def __init__(self, backend: str, model_id: str, source: str, target: str, options: dict[str, Any]):
        repair_indic_normalizers()
        from IndicTransToolkit.processor import IndicProcessor

        super().__init__(backend, model_id, source, target, options)
        self.processor = IndicProcessor(inference=True)

    def preprocess(self, texts: list[str]) -> list[str]:
        return self.processor.preprocess_batch(texts, src_lang=self.source, tgt_lang=self.target)

    def postprocess(self, texts: list[str]) -> list[str]:
        return self.processor.postprocess_batch(texts, lang=self.target)


def make_translator(backend: str, model_id: str, source: str, target: str, options: dict[str, Any]):
    cls = IndicTrans2Translator if backend == "indictrans2" else Seq2SeqTranslator
    return cls(backend, model_id, source, target, options)


def translate_document(
    transcript: dict[str, Any], translator, *, target: str, backend: str, model_id: str, options: dict[str, Any]
) -> dict[str, Any]:
    sentences = sentences_from_transcript(transcript)
    batch_size = int(options.get("batch_size", 16))
    log.debug(
        "%d segments regrouped into %d sentences (at end punctuation, pauses of 1.5 s, 80 words); batches of %d,"
        " by length", len(transcript.get("segments", [])), len(sentences), batch_size,
    )  # fmt: skip
    # Similar lengths per batch waste less padding; the order is restored afterwards.
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i].text))
    translated: dict[int, str] = {}
    started = time.monotonic()
    for offset in range(0, len(order), batch_size):
        chunk = order[offset : offset + batch_size]
        log.debug("batch %d: %d sentences of %d-%d characters", offset // batch_size + 1, len(chunk),
                  len(sentences[chunk[0]].text), len(sentences[chunk[-1]].text))  # fmt: skip
        for index, text in zip(chunk, translator.translate([sentences[i].text for i in chunk])):
            translated[index] = text
    log.info("%d sentences translated in %.1f s", len(sentences), time.monotonic() - started)
    segments = []
    for index, sentence in enumerate(sentences):
        text = translated[index]
        segments.append(
            {
                "id": index + 1,
                "start": round(sentence.start, 3),
                "end": round(sentence.end, 3),
                "text": text,
                "source_text": sentence.text,
                "words": lay_over(text, sentence),
            }
        )
    return {
        "schema": TRANSLATION_SCHEMA,
        "language": target,
        "source_language": transcript.get("language"),
        "duration": transcript.get("duration"),
        "translation": {"backend": backend, "model": model_id, "options": options},
        "segments": segments,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--backend", required=True, choices=["indictrans2", "nllb", "m2m100", "marian"])
    parser.add_argument("--model", required=True, help="hub id or local directory")
    parser.add_argument("--model-path", default="", help="the model's manifest (rules/models.smk): its folder is loaded")
    parser.add_argument("--source", default=None, help="source language (default: the transcript's)")
    parser.add_argument("--target", required=True)
    parser.add_argument("--options", default="{}", help="JSON: batch_size, num_beams, max_length, threads")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    transcript = read_transcript(args.transcript)
    source = args.source or transcript.get("language")
    options = json.loads(args.options)
    try:
        backend_codes(args.backend, source, args.target)
    except ValueError as err:
        raise StageError(f"{args.transcript}: cannot translate {source} -> {args.target}: {err}") from None
    log.info("%s %s -> %s with %s", args.backend, source, args.target, args.model)
    folder = manifest_folder(args.model_path) if args.model_path else args.model
    translator = make_translator(args.backend, folder, source, args.target, options)
    document = translate_document(
        transcript, translator, target=args.target, backend=args.backend, model_id=args.model, options=options
    )
    document["translation"]["source"] = model_source(folder)
    write_transcript(document, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
