"""Score a translation model on a parallel text (e.g. FLORES-200 dev) with sacrebleu chrF and
BLEU, through the translate stage's own code (same loading, batching, pre/post-processing).

Run on the env of the backend (translate, or indictrans for indictrans2):
  .venvs/translate/bin/python bench/mt_eval.py --backend nllb --model facebook/nllb-200-distilled-600M \\
      --source ../shared/fixtures/mt/flores200.dev.eng_Latn --reference ../shared/fixtures/mt/flores200.dev.hin_Deva \\
      --src en --tgt hi [--limit 200]
Real scores need real weights (a hub id in the HF cache, or a local directory).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import scripts_on_path  # noqa: E402,F401

from translate import make_translator  # noqa: E402


def evaluate(backend: str, model: str, sources: list[str], references: list[str], src: str, tgt: str, options: dict) -> dict:
    import sacrebleu

    translator = make_translator(backend, model, src, tgt, options)
    batch = int(options.get("batch_size", 16))
    started = time.monotonic()
    hypotheses: list[str] = []
    for offset in range(0, len(sources), batch):
        hypotheses += translator.translate(sources[offset : offset + batch])
    elapsed = time.monotonic() - started
    tokenize = "none" if tgt in ("zh", "ja") else "13a"
    return {
        "backend": backend,
        "model": model,
        "pair": f"{src}-{tgt}",
        "sentences": len(sources),
        "chrF": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2),
        "BLEU": round(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score, 2),
        "seconds": round(elapsed, 2),
        "sentences_per_second": round(len(sources) / elapsed, 2) if elapsed else None,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "sample": hypotheses[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, choices=["indictrans2", "nllb", "m2m100", "marian"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--src", required=True)
    parser.add_argument("--tgt", required=True)
    parser.add_argument("--limit", type=int, default=0, help="first N sentences only")
    parser.add_argument("--options", default='{"batch_size": 16, "num_beams": 4, "max_length": 256}')
    args = parser.parse_args()
    sources = args.source.read_text(encoding="utf-8").splitlines()
    references = args.reference.read_text(encoding="utf-8").splitlines()
    if len(sources) != len(references):
        sys.exit(f"error: {args.source} has {len(sources)} lines but {args.reference} has {len(references)}")
    if args.limit:
        sources, references = sources[: args.limit], references[: args.limit]
    result = evaluate(args.backend, args.model, sources, references, args.src, args.tgt, json.loads(args.options))
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
