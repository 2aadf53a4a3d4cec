"""Word error rate, computed one way by the report stage, the bench and the tests: jiwer on
text lower-cased, without punctuation or extra spaces."""

from __future__ import annotations


def clean(text: str) -> str:
    import jiwer

    return jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()])(
        text
    )


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of `hypothesis` against `reference`; an empty hypothesis scores 1 (every word missed)
    where jiwer would refuse it."""
    import jiwer

    return jiwer.wer(clean(reference), clean(hypothesis) or "-")
