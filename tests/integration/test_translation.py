"""Translation through the workflow: a tiny random Marian model built and saved here runs the
real transformers loading and generate() code offline; Whisper's translate task runs on real
Hindi speech; IndicTransToolkit processes real FLORES Hindi."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pysrt
import pytest

from conftest import PROJECT, SCRIPTS, copy_project, fixture, planned_jobs, requires_fixtures, snakemake, update_config

pytestmark = [requires_fixtures]

TRANSLATE_PY = PROJECT / ".venvs" / "translate" / "bin" / "python"
INDICTRANS_PY = PROJECT / ".venvs" / "indictrans" / "bin" / "python"
TOOLS = Path(__file__).resolve().parents[1] / "tools"


def env_python(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} missing: build the envs first (snakemake envs)")
    return path


@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "tiny-marian"
    subprocess.run([env_python(TRANSLATE_PY), TOOLS / "make_tiny_marian.py", out], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_marian) -> Path:
    work = copy_project(tmp_path_factory.mktemp("mt") / "project")
    shutil.copy2(fixture("video/autocut_test001.mp4"), work / "in" / "clip.mp4")
    shutil.copy2(fixture("hi/indicwav2vec_workshop/train_Regional-Raipur-Hindi-1910-20189520331_sent_51.wav"), work / "in" / "hindi.wav")
    (work / "config" / "media.tsv").write_text("name\tsource_language\ttarget_languages\nhindi\thi\ten\n")
    update_config(
        work,
        {"target_languages": ["hi"], "translate": {"backends": {"en-hi": "marian"}, "models": {"marian": str(tiny_marian)}}},
    )
    os.environ["HF_HUB_OFFLINE"] = "1"  # inherited by the jobs: nothing may come from the hub
    snakemake(work)
    return work


def test_marian_translation_keeps_the_timeline(workdir):
    transcript = json.loads((workdir / "work" / "timing" / "clip.json").read_text())  # what translation reads
    translation = json.loads((workdir / "work" / "translate" / "marian" / "clip.hi.json").read_text())
    assert translation["language"] == "hi" and translation["source_language"] == "en"
    words = [w for s in transcript["segments"] for w in s["words"]]
    segments = translation["segments"]
    assert segments and all(s["text"].strip() for s in segments)
    assert segments[0]["start"] == words[0]["start"] and segments[-1]["end"] == words[-1]["end"]
    # every sentence is laid over its own source span, in order, words monotonic inside it
    assert " ".join(s["source_text"] for s in segments) == " ".join(w["word"] for w in words)
    for before, after in zip(segments, segments[1:]):
        assert before["end"] <= after["start"]
    for segment in segments:
        times = [(w["start"], w["end"]) for w in segment["words"]]
        assert all(segment["start"] <= a <= b <= segment["end"] for a, b in times)
        assert [a for a, _ in times] == sorted(a for a, _ in times)


def test_translated_subtitles_are_named_and_muxed_by_language(workdir):
    cues = pysrt.open(str(workdir / "out" / "clip.hi.srt"), encoding="utf-8")
    assert len(cues) > 0 and all(c.text.strip() for c in cues)
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "s", "-show_entries", "stream_tags=language", "-of", "csv=p=0", workdir / "out" / "clip.mp4"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert probe == ["eng", "hin"]


def test_whisper_translates_hindi_speech_into_english(workdir):
    translation = json.loads((workdir / "work" / "translate" / "whisper" / "hindi.en.json").read_text())
    assert translation["language"] == "en" and translation["params"]["task"] == "translate"
    assert translation["word_timing"] == "signal" and "silero" not in translation  # refined by the timing stage
    text = (workdir / "out" / "hindi.en.srt").read_text(encoding="utf-8")
    cues = pysrt.from_string(text)
    letters = re.findall(r"[^\W\d_]", " ".join(c.text for c in cues))
    assert letters and sum(ch.isascii() for ch in letters) / len(letters) > 0.9, text
    assert (workdir / "out" / "hindi.hi.srt").exists()


def test_changing_the_mt_model_reruns_translation_not_asr(workdir, tiny_marian):
    other = tiny_marian.with_name("tiny-marian-2")
    shutil.copytree(tiny_marian, other, dirs_exist_ok=True)
    update_config(workdir, {"translate": {"models": {"marian": str(other)}}})
    expected = {"translate_transformers": 1, "subtitles_render": 1, "mux_video": 1, "all": 1}
    assert planned_jobs(workdir) == expected


def test_unsupported_pair_fails_before_any_job(workdir):
    update_config(workdir, {"translate": {"backends": {"en-hi": "whisper"}}})
    done = snakemake(workdir, "-n", check=False)
    update_config(workdir, {"translate": {"backends": {"en-hi": "marian"}}})
    assert done.returncode != 0
    assert "cannot translate en -> hi with whisper" in done.stderr + done.stdout


def test_missing_model_is_one_clear_line(workdir, tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run(
        [env_python(TRANSLATE_PY), PROJECT / "scripts" / "translate.py", "--transcript", workdir / "work" / "asr" / "clip.json",
         "--output", tmp_path / "x.json", "--backend", "nllb", "--model", "facebook/nllb-200-distilled-600M", "--target", "fr"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and not (tmp_path / "x.json").exists()
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: translation model 'facebook/nllb-200-distilled-600M' is not available locally")
    assert "Traceback" not in done.stderr


def test_indictranstoolkit_round_trip_on_flores_hindi():
    flores = fixture("mt/flores200.dev.hin_Deva")
    done = subprocess.run(
        [env_python(INDICTRANS_PY), TOOLS / "indictrans_roundtrip.py", flores, "50", "hin_Deva"],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(SCRIPTS)},
    )
    result = json.loads(done.stdout)
    assert all(p.startswith("hin_Deva eng_Latn ") for p in result["preprocessed"])

    def normalise(text: str) -> str:
        """Undo only the toolkit's documented normalisations: straight quotes, nukta letters
        decomposed (NFD), a colon after a Devanagari letter written as visarga, '|' written as
        danda, and spacing around punctuation."""
        text = unicodedata.normalize("NFD", text).replace("\u0903", ":").replace("|", "।")
        return "".join(re.sub("[“”]", '"', re.sub("[‘’]", "'", text)).split())

    same = [normalise(a) == normalise(b) for a, b in zip(result["original"], result["restored"])]
    assert sum(same) == len(same), [r for r, ok in zip(result["restored"], same) if not ok][:3]


def test_mt_eval_scores_a_model_on_flores(tiny_marian):
    """Smoke run of bench/mt_eval.py: real sacrebleu scores (near zero for a random model)."""
    done = subprocess.run(
        [env_python(TRANSLATE_PY), PROJECT / "bench" / "mt_eval.py", "--backend", "marian", "--model", tiny_marian,
         "--source", fixture("mt/flores200.dev.eng_Latn"), "--reference", fixture("mt/flores200.dev.hin_Deva"),
         "--src", "en", "--tgt", "hi", "--limit", "10"],
        capture_output=True, text=True, check=True, env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result["sentences"] == 10 and 0 <= result["chrF"] < 20 and result["BLEU"] >= 0
