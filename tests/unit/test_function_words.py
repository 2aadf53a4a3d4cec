"""The per-language function word lists (scripts/data/function_words) and their reader."""

from __future__ import annotations

from subtitles_workflow.function_words import for_language, parse_list


def test_list_file_format_comments_and_both_kinds():
    words = parse_list("# articles\nthe  # the definite one\nA\n\n+up\n")
    assert words.ends_before == {"the", "a"} and words.starts_after == {"up"}


def test_english_words_that_must_not_end_a_line():
    english = for_language("en")
    for word in ("the", "The", "of", "and", "my", "is", "to", "(the", "Dr."):
        assert english.bad_end(word), word
    for word in ("house", "is.", "the,", "to?", "it"):
        assert not english.bad_end(word), word


def test_hindi_postpositions_must_not_start_a_line():
    hindi = for_language("hi")
    for word in ("का", "की", "के", "में", "से", "पर", "को", "ने", "तक", "है", "- में"):
        assert hindi.bad_start(word), word
    assert hindi.bad_end("और") and not hindi.bad_start("लखनऊ")


def test_a_language_without_a_list_has_no_rule():
    assert not for_language("xx").bad_end("the") and not for_language(None).bad_start("के")
