"""Build a tiny random-weight Marian translation model with a real sentencepiece tokenizer and
save it with save_pretrained(), so the translate stage's real loading and generate() code runs
offline in tests. Its output is noise in the target vocabulary: tests check structure only.

Run on the translate env:  .venvs/translate/bin/python tests/tools/make_tiny_marian.py OUT_DIR
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import MarianConfig, MarianMTModel, MarianTokenizer

LINES = [
    "And so my fellow Americans, ask not what your country can do for you.",
    "Ask what you can do for your country.",
    "From fairest creatures we desire increase.",
    "That thereby beauty's rose might never die.",
    "क्या सेंट मैरीस की एयर क्वालिटी घातक है",
    "इस चिकित्सालय में चौबीसों घंटे पशुओं के उपचार की सुविधा उपलब्ध रहेगी",
    "माध्यमिक शिक्षा विभाग की सचिव ने लखनऊ में बताया",
    "The quick brown fox jumps over the lazy dog.",
] * 8


def build(output: Path, seed: int = 0) -> None:
    torch.manual_seed(seed)
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(LINES) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "sp"), vocab_size=100,
            character_coverage=1.0, model_type="unigram", pad_id=-1, bos_id=-1, eos_id=1, unk_id=0,
        )  # fmt: skip
        model_file = Path(tmp) / "sp.model"
        processor = spm.SentencePieceProcessor(model_file=str(model_file))
        vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
        vocab.setdefault("<pad>", len(vocab))
        for name in ("source.spm", "target.spm"):
            (output / name).write_bytes(model_file.read_bytes())
        (output / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    tokenizer = MarianTokenizer(
        source_spm=str(output / "source.spm"), target_spm=str(output / "target.spm"),
        vocab=str(output / "vocab.json"), unk_token="<unk>", eos_token="</s>", pad_token="<pad>",
    )  # fmt: skip
    config = MarianConfig(
        vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=256, pad_token_id=vocab["<pad>"], eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=vocab["</s>"],
    )  # fmt: skip
    model = MarianMTModel(config)
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
