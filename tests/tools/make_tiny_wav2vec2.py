"""A tiny, randomly initialised wav2vec2 CTC model with an English letter vocabulary, saved
with its processor as `transformers` loads it: the align stage's real loading and alignment
path runs on it (no real alignment weights are reachable here). Usage: make_tiny_wav2vec2.py DIR"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import torch
from transformers import Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC, Wav2Vec2Processor


def main(target: Path) -> None:
    torch.manual_seed(0)
    letters = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ'")
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{letter: i + 3 for i, letter in enumerate(letters)}}
    with tempfile.TemporaryDirectory() as scratch:
        vocab_file = Path(scratch) / "vocab.json"
        vocab_file.write_text(json.dumps(vocab))
        tokenizer = Wav2Vec2CTCTokenizer(str(vocab_file), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16_000, padding_value=0.0, do_normalize=True)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, pad_token_id=0,
    )  # fmt: skip
    Wav2Vec2ForCTC(config).eval().save_pretrained(target)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(target)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
