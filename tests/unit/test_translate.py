"""Sentence merging, timeline redistribution and the language-code table of the translate stage."""

from __future__ import annotations

import pytest

from subtitles_workflow.languages import backend_codes, default_backend
from translate import Sentence, SourceWord, lay_over, sentences_from_transcript, time_at


def transcript(*segments: list[tuple[str, float, float]]) -> dict:
    return {
        "segments": [
            {"text": " ".join(w for w, _, _ in seg), "words": [{"word": w, "start": s, "end": e} for w, s, e in seg]}
            for seg in segments
        ]
    }


def test_segments_are_merged_into_sentences():
    doc = transcript(
        [("So", 0.0, 0.2), ("my", 0.2, 0.4), ("fellow", 0.4, 0.8)],
        [("Americans,", 0.8, 1.5), ("ask", 1.6, 1.9), ("not.", 1.9, 2.3), ("Then", 2.5, 2.8), ("go.", 2.8, 3.0)],
    )
    sentences = sentences_from_transcript(doc)
    assert [s.text for s in sentences] == ["So my fellow Americans, ask not.", "Then go."]
    assert (sentences[0].start, sentences[0].end) == (0.0, 2.3)


def test_long_pauses_and_runaway_sentences_are_split():
    doc = transcript([("one", 0.0, 0.5), ("two", 3.0, 3.5)])
    assert len(sentences_from_transcript(doc)) == 2
    many = transcript([(f"w{i}", i * 0.3, i * 0.3 + 0.2) for i in range(200)])
    assert max(len(s.words) for s in sentences_from_transcript(many, max_words=80)) == 80


def test_translation_keeps_the_source_span_and_its_pauses():
    sentence = Sentence([SourceWord("Hello", 10.0, 10.5), SourceWord("world.", 12.0, 12.6)])
    words = lay_over("नमस्ते दुनिया भर के लोगों", sentence)
    assert words[0]["start"] == 10.0 and words[-1]["end"] == 12.6
    for before, after in zip(words, words[1:]):
        assert before["start"] <= before["end"] <= after["start"] + 1e-9
    assert time_at(sentence.words, 5 / 11) == pytest.approx(10.5)  # end of "Hello"
    assert time_at(sentence.words, 0.5) == pytest.approx(12.05)  # half a character into "world."


def test_backend_codes():
    assert backend_codes("nllb", "en", "hi") == ("eng_Latn", "hin_Deva")
    assert backend_codes("indictrans2", "hi", "en") == ("hin_Deva", "eng_Latn")
    assert backend_codes("m2m100", "fr", "de") == ("fr", "de")
    assert backend_codes("whisper", "hi", "en") == ("hi", "en")
    with pytest.raises(ValueError, match="English"):
        backend_codes("whisper", "en", "hi")
    with pytest.raises(ValueError, match="indictrans2 translates between English and"):
        backend_codes("indictrans2", "en", "fr")


def test_default_backends():
    assert default_backend("hi", "en") == "whisper"
    assert default_backend("en", "hi") == "indictrans2"
    assert default_backend("en", "fr") == "nllb"
