"""What the asr stage decodes again and what it keeps (issue 15): loops inside a segment (the
same word or phrase 3+ times in a row, or text compressing past Whisper's 2.4), Hindi that came
out in other letters, the prompts and token suppression that steer a language back to its
script. The model runs in tests/integration/test_asr_repair.py."""

from __future__ import annotations

from subtitles_workflow.repetition import compression_ratio, looping_reason, normalised_words, repeated_ngram
from subtitles_workflow.script_prompts import script_prompt
from subtitles_workflow.script_tokens import byte_decoder, token_scripts, tokens_in_other_scripts
from subtitles_workflow.transcript_repair import (
    Window,
    echoes_prompt,
    splice,
    still_wrong_script,
    window_around,
    windows_to_redecode,
    without_prompt_echo,
)
from subtitles_workflow.writing_systems import in_expected_script


def segment(start: float, end: float, text: str) -> dict:
    return {"start": start, "end": end, "text": text, "words": []}


def spoken(text: str) -> dict:
    """A segment with a word each second, each word half a second long."""
    words = [{"word": w, "start": float(i), "end": i + 0.5, "probability": 0.9} for i, w in enumerate(text.split())]
    return {"start": 0.0, "end": float(len(words)), "text": text, "words": words}


def test_a_word_said_over_and_over_is_a_loop():
    assert looping_reason(" ".join(["दिवा"] * 15)) == "repeats 'दिवा' 15 times"


def test_a_phrase_three_times_in_a_row_is_a_loop_whatever_its_punctuation():
    assert looping_reason("ती नहीं है। ती नहीं है। ती नहीं है।") == "repeats 'ती नहीं है' 3 times"
    assert repeated_ngram(normalised_words("Go, go, GO!")) == ("go", 3)


def test_devanagari_words_keep_their_vowel_signs():
    assert normalised_words("नहीं है।") == ["नहीं", "है"]


def test_text_that_compresses_like_a_failed_window_is_a_loop():
    text = "आज आज कल, " + "कल आज, आज कल, " * 6
    assert compression_ratio(text) > 2.4
    assert looping_reason("ab, ba, " * 20).startswith(("repeats", "compression ratio"))


def test_speech_that_repeats_a_word_twice_or_not_in_a_row_is_no_loop():
    assert looping_reason("And so my fellow Americans, ask not what your country can do for you") is None
    assert looping_reason("that that is, is; that that is not, is not") is None
    assert looping_reason("माध्यमिक शिक्षा विभाग की सचिव संध्या तिवारी ने लखनऊ में बताया") is None


def test_hindi_in_urdu_or_latin_letters_is_redecoded_hindi_in_devanagari_is_not():
    urdu = segment(0.0, 4.0, "مادمیک شکچہ بھاگ کی سچو")
    latin = segment(4.0, 8.0, "unudi bata hai ki sarkari")
    devanagari = segment(8.0, 12.0, "इस चिकित्सालय में चौबीसों घंटे पशुओं के उपचार की सुविधा उपलब्ध रहेगी")
    windows = windows_to_redecode([urdu, latin, devanagari], "hi", None, 12.0)
    assert [(w.start, w.end) for w in windows] == [(0.0, 8.5)]
    assert windows[0].needs_script_prompt
    assert windows_to_redecode([devanagari], "hi", None, 12.0) == []
    assert windows_to_redecode([latin], "en", None, 12.0) == []


def test_a_transcript_mostly_in_the_wrong_script_is_redecoded_whole():
    mostly_urdu = [segment(0.0, 5.0, "مادمیک شکچہ بھاگ کی سچو سندھا دیواری نہیں لکنوں میں"), segment(6.0, 7.0, "है")]
    windows = windows_to_redecode(mostly_urdu, "hi", None, 8.0)
    assert [(w.start, w.end) for w in windows] == [(0.0, 7.5)]


def test_a_loop_is_redecoded_over_its_whole_speech_region_when_that_fits_one_window():
    regions = [{"start": 2.0, "end": 20.0}, {"start": 25.0, "end": 90.0}]
    assert window_around(segment(5.0, 9.0, "x"), regions, 100.0) == (2.0, 20.0)
    assert window_around(segment(40.0, 44.0, "x"), regions, 100.0) == (39.5, 44.5)
    assert window_around(segment(0.2, 3.0, "x"), None, 100.0) == (0.0, 3.5)
    windows = windows_to_redecode([segment(5.0, 9.0, "दिवा " * 15)], "hi", regions, 100.0)
    assert windows == [Window(2.0, 20.0, ["repeats 'दिवा' 15 times"])]
    assert not windows[0].needs_script_prompt


def test_redecoded_segments_replace_the_window_and_what_still_loops_is_dropped():
    transcript = [segment(0.0, 2.0, "पहला"), segment(3.0, 9.0, "दिवा " * 15), segment(10.0, 12.0, "आख़िरी")]
    window = Window(2.5, 9.5, ["repeats 'दिवा' 15 times"])
    looped = " ".join(["ती नहीं है।"] * 5)
    redecoded = [segment(3.0, 5.0, "दिवाली आई"), segment(5.0, 9.0, looped)]
    kept, dropped = splice(transcript, window, redecoded)
    assert [s["text"] for s in kept] == ["पहला", "दिवाली आई", "आख़िरी"]
    assert kept[1]["redecoded"] == "repeats 'दिवा' 15 times"
    assert "redecoded" not in kept[0]
    assert dropped == [{"start": 5.0, "end": 9.0, "text": looped,
                        "reason": "still loops after re-decoding: repeats 'ती नहीं है' 5 times"}]  # fmt: skip


def test_each_prompt_is_written_in_its_languages_script():
    for language in ("hi", "mr", "ne", "pa", "ur"):
        prompt = script_prompt(language)
        assert prompt and "#" not in prompt and in_expected_script(prompt, language), language
    assert script_prompt("en") is None


def test_a_prompt_file_leaves_out_comments_and_blank_lines(tmp_path):
    (tmp_path / "xx.txt").write_text("# why\n\nएक वाक्य।  # note\nदूसरा।\n", encoding="utf-8")
    assert script_prompt("xx", tmp_path) == "एक वाक्य। दूसरा।"


def test_a_segment_that_writes_the_prompt_back_is_dropped():
    prompt = script_prompt("hi")
    window = Window(0.0, 6.0, ["not in DEVANAGARI script (0% of letters)"])
    redecoded = [segment(0.0, 2.0, "आज ही बात करेंगे।"), segment(2.0, 6.0, "आज सम्वीदा पर काम करेंगे।")]
    kept, dropped = splice([], window, redecoded, prompt)
    assert [s["text"] for s in kept] == ["आज सम्वीदा पर काम करेंगे।"]
    assert dropped[0]["reason"] == "echoes the prompt"
    assert not echoes_prompt("आज", prompt)  # one word is too little to tell


def test_tokens_are_read_as_the_scripts_their_bytes_write():
    assert token_scripts("है".encode()) == {"DEVANAGARI"}
    assert token_scripts("है".encode()[:2]) == {"DEVANAGARI"}  # ends inside a character
    assert token_scripts("ب".encode()[:1]) == {"ARABIC"}  # a lone lead byte of a 2-byte letter
    assert token_scripts(b" hello") == {"LATIN"}
    assert token_scripts("123, ।".encode()) == set()
    assert token_scripts(b"\xe0") == set()  # could start Devanagari or Bengali: kept


def test_only_tokens_of_other_scripts_are_suppressed():
    encode = {b: c for c, b in byte_decoder().items()}
    vocabulary = {"".join(encode[b] for b in text.encode()): ident for ident, text in
                  enumerate(["है", " the", "ہے", "12", "।", "ক", "<|endoftext|>"])}  # fmt: skip
    assert tokens_in_other_scripts(vocabulary, "DEVANAGARI", first_special=6) == [1, 2, 5]


def test_a_leading_sentence_that_writes_the_prompt_back_is_cut_from_its_segment():
    said = spoken("आज ही बात करेंगे। कर्मी आज से हड़ताल पर।")
    kept, dropped = splice([], Window(0.0, 9.0, ["not in DEVANAGARI script"]), [said], script_prompt("hi"))
    assert [(s["start"], s["text"]) for s in kept] == [(4.0, "कर्मी आज से हड़ताल पर।")]
    assert without_prompt_echo(said, None) == said


def test_an_urdu_prompt_echo_is_cut_at_the_urdu_full_stop():
    # The Urdu prompt ends with "۔" (U+06D4), not ".": the echoed sentence must still end there.
    echo = "آج ہم اردو میں بات کریں گے۔".split() + "کل بارش ہوئی تھی۔".split()
    words = [{"word": w, "start": float(i), "end": i + 0.5, "probability": 0.9} for i, w in enumerate(echo)]
    spoken = {"start": 0.0, "end": 10.0, "text": " ".join(echo), "words": words}
    assert without_prompt_echo(spoken, script_prompt("ur"))["text"] == "کل بارش ہوئی تھی۔"


def test_a_sentence_said_three_times_at_a_speaking_rate_is_speech_not_a_loop():
    # Compresses like a failed window (2.8) but 13 words a time at 11 letters/s: the reliability
    # matrix's long recording says exactly this for 30 minutes; none of it is decoded again.
    said = " ".join(["The quick brown fox jumps over the lazy dog near the river bank."] * 3)
    assert compression_ratio(said) > 2.4
    assert looping_reason(said, seconds=13.5) is None
    assert windows_to_redecode([segment(0.0, 13.5, said)], "en", None, 20.0) == []
    # The same text crammed into 3 s is no one's speech: decoded again.
    assert looping_reason(said, seconds=3.0) == f"compression ratio {compression_ratio(said):.2f}"
    assert windows_to_redecode([segment(0.0, 3.0, said)], "en", None, 20.0) != []
    # A word or phrase 3+ times in a row stays a loop at any rate.
    assert looping_reason(" ".join(["दिवा"] * 15), seconds=60.0) == "repeats 'दिवा' 15 times"


def test_a_word_said_a_few_times_at_a_speaking_rate_is_speech_not_a_loop():
    # MFA's test monologue: the speaker says "words" four times; the stage re-decoded its
    # 25 s region and dropped the sentence as a loop (MFA's human transcript has it).
    said = "And here's some more words. Words, words, words."
    assert looping_reason(said, seconds=2.98) is None
    assert windows_to_redecode([segment(19.05, 22.03, said)], "en", None, 80.0) == []
    # Crammed into half a second, or five times in a row, or with no time to judge by: a loop.
    assert looping_reason(said, seconds=0.5) == "repeats 'words' 4 times"
    assert looping_reason(said + " Words.", seconds=3.5) == "repeats 'words' 5 times"
    assert looping_reason(said) == "repeats 'words' 4 times"


def test_symbols_that_compress_are_a_loop_whatever_their_rate():
    # Hindi read speech decoded as "& & & ..." over 10 s: no letters, so no speaking rate makes
    # it speech (the speaking-rate rule above let it through at first).
    symbols = " ".join(["&"] * 60)
    assert looping_reason(symbols, seconds=10.0) == f"compression ratio {compression_ratio(symbols):.2f}"


def test_a_window_redecoded_into_silence_keeps_what_the_first_pass_heard():
    # The Jaipur clip (sent_23) on this machine: the first pass wrote it in Latin letters;
    # decoded again (prompt, then other scripts suppressed) Whisper called all 15 s silence
    # (no-speech 0.604 > 0.6) and the transcript came out empty, with nothing dropped on record.
    heard = segment(0.0, 15.0, "UCC Sachiv, Prophez Rajni, Janni, Aagashwani")
    looped = segment(15.0, 20.0, "sun " * 15)
    window = Window(0.0, 20.5, ["not in DEVANAGARI script (0% of letters)"])
    kept, dropped = splice([heard, looped], window, [])
    assert [s["text"] for s in kept] == [heard["text"]]
    assert kept[0]["redecoded"] == "not in DEVANAGARI script (0% of letters); nothing came back, first pass kept"
    assert [d["reason"] for d in dropped] == ["still loops after re-decoding: repeats 'sun' 15 times"]


def test_a_script_prompt_that_brings_back_nothing_goes_on_to_suppress_other_scripts():
    assert still_wrong_script([], "hi")
    assert still_wrong_script([segment(0.0, 2.0, " ")], "hi")
    assert still_wrong_script([segment(0.0, 2.0, "sun jo hai")], "hi")
    assert not still_wrong_script([segment(0.0, 2.0, "सुन जो है")], "hi")


def test_a_redecoded_segment_too_fast_to_be_speech_is_dropped():
    # The Jaipur clip (sent_23) decoded again: its words, then 52 invented characters in the
    # clip's last 0.38 s. The same count over 2.6 s, or one word in 0.1 s, is speech.
    invented = "भुभूपूू पुू कु पशू हु कू मुकु मूकू सु हूसु सूहुसूनुनूतूरूंुतुरु"
    window = Window(0.0, 15.5, ["not in DEVANAGARI script (0% of letters)"])
    redecoded = [segment(2.0, 15.08, "आगाश्वानी से बाचित में बदाया"), segment(15.08, 15.46, invented)]
    kept, dropped = splice([], window, redecoded)
    assert [s["text"] for s in kept] == ["आगाश्वानी से बाचित में बदाया"]
    assert dropped[0]["reason"] == f"too fast to be speech: {len(invented.replace(' ', ''))} characters in 0.38 s"
    assert not splice([], window, [segment(0.0, 2.6, invented), segment(3.0, 3.1, "हाँ")])[1]


def test_a_prompt_written_back_misspelt_is_cut_up_to_its_sentence_or_clause_end():
    # The ekstep clip decoded again with the Hindi prompt ("नमस्ते, आज हम हिंदी में बात
    # करेंगे।") began "आज हमस्ते,": the prompt, one letter off, up to a comma.
    prompt = script_prompt("hi")
    assert without_prompt_echo(spoken("आज हमस्ते, मेरिस की अर कोले ती बात के है।"), prompt)["text"] == "मेरिस की अर कोले ती बात के है।"
    # Speech that shares a word or two with the prompt, or short words one letter off its own
    # ("बाद" and "बात"), stays whole.
    for said in ("आज सम्वीदा पर काम करेंगे।", "बाद में, हम आज से हड़ताल पर हैं।"):
        assert without_prompt_echo(spoken(said), prompt)["text"] == said


# What the base model wrote for the last 1.7 s of the joined Hindi clips (bench/quality.py
# --coverage): the script's letters and vowel signs listed, no word of the speech.
LETTER_LIST = "ू ु ी ृ ॉ े ॊ ॆ ॅ । ४ ॒ ॖ ॹ ॓ क़ ग़ ख़ ॔ ॐ ॑ ड़ ॕ ० १ ौ ॣ ॵ २ ॶ"


def test_a_list_of_a_scripts_signs_is_no_speech_it_is_redecoded_then_dropped():
    listed = segment(53.888, 55.548, LETTER_LIST)
    assert [w.reasons for w in windows_to_redecode([listed], "hi", None, 56.0)] == [["not words: 17 of 29 tokens are lone vowel signs or marks"]]
    kept, dropped = splice([listed], Window(53.4, 56.0, ["x"]), [listed])
    assert kept == [] and dropped[0]["reason"] == "not words: 17 of 29 tokens are lone vowel signs or marks"


def test_words_with_vowel_signs_and_a_stray_sign_or_two_are_speech():
    assert windows_to_redecode([segment(0.0, 3.0, "। ूप्विवागे, अन्दर्गा, समवीदा पर काम करे हे")], "hi", None, 3.0) == []
    assert windows_to_redecode([segment(0.0, 3.0, "नमस्ते ू आप कैसे हैं ि")], "hi", None, 3.0) == []
