"""CTC forced alignment (the align stage's core) on hand-made emissions."""

from __future__ import annotations

import numpy as np

from align import forced_alignment, word_tokens


def emissions_for(best_path: list[int], vocabulary: int = 4, confidence: float = 0.94) -> np.ndarray:
    emissions = np.full((len(best_path), vocabulary), np.log((1 - confidence) / (vocabulary - 1)))
    for frame, token in enumerate(best_path):
        emissions[frame, token] = np.log(confidence)
    return emissions


def test_alignment_follows_the_emissions_including_repeats():
    # blank=0, a=1, b=2, c=3
    emissions = emissions_for([0, 0, 1, 1, 0, 2, 3, 3, 3, 0])
    assert forced_alignment(emissions, [1, 2, 3]) == [(2, 3), (5, 5), (6, 8)]


def test_repeated_letters_need_a_blank_between_them():
    emissions = emissions_for([1, 0, 1, 0, 0])
    assert forced_alignment(emissions, [1, 1]) == [(0, 0), (2, 2)]


def test_too_few_frames_gives_no_alignment():
    assert forced_alignment(emissions_for([1]), [1, 2]) == []


def test_word_tokens_fold_case_to_the_vocabulary():
    vocab = {"<pad>": 0, "|": 1, "A": 2, "B": 3}
    assert word_tokens("ab,", vocab) == [2, 3]
    assert word_tokens("ab", {"a": 5, "b": 6}) == [5, 6]
