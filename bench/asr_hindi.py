"""The asr stage on the shared Hindi fixtures (source_language hi, default options): loops per
clip, share of Devanagari letters per clip, and WER against the human transcripts (issue 15).

    .venvs/workflow/bin/python bench/asr_hindi.py [--model base] [--out results.json]

Runs scripts/asr.py on the asr env's interpreter, one clip at a time, as the rule does.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
import scripts_on_path  # noqa: E402,F401

from subtitles_workflow.repetition import looping_reason  # noqa: E402
from subtitles_workflow.wer import word_error_rate  # noqa: E402
from subtitles_workflow.writing_systems import script_shares  # noqa: E402
from project import FIXTURES as SHARED_FIXTURES, asr_options  # noqa: E402

FIXTURES = SHARED_FIXTURES / "hi"
ASR_PYTHON = PROJECT / ".venvs" / "asr" / "bin" / "python"
BUNDLED = {"base", "tiny.en"}
# The stage's options on a CPU: the schema's defaults, int8, batches of 8.
CPU_OPTIONS = asr_options(device="cpu", compute_type="int8", batch_size=8)


def hindi_clips() -> dict[Path, str]:
    """Each Hindi fixture and its human transcript."""
    folder = FIXTURES / "indicwav2vec_workshop"
    with open(folder / "transcripts.tsv", encoding="utf-8") as handle:
        clips = {folder / row["file"]: row["transcript"] for row in csv.DictReader(handle, delimiter="\t")}
    clips[FIXTURES / "ekstep_sample.wav"] = (FIXTURES / "ekstep_sample.txt").read_text(encoding="utf-8").strip()
    return clips


def transcribe(audio: Path, model: str, output: Path, options: dict, project: Path = PROJECT) -> dict:
    model_path = PROJECT / "resources" / "models" / f"faster-whisper-{model}.json"
    command = [str(ASR_PYTHON), str(project / "scripts" / "asr.py"), "--audio", str(audio), "--output", str(output),
               "--model", model, "--language", "hi", "--options", json.dumps(options), "--threads", "2"]
    if model in BUNDLED:
        command += ["--model-path", str(model_path)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--options", default=json.dumps(CPU_OPTIONS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--project", type=Path, default=PROJECT, help="checkout whose scripts/asr.py runs (e.g. an older commit)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for audio, reference in hindi_clips().items():
            document = transcribe(audio, args.model, Path(tmp) / "t.json", json.loads(args.options), args.project)
            text = " ".join(s["text"] for s in document["segments"])
            row = {
                "clip": audio.name[:40],
                "loops": sum(1 for s in document["segments"] if looping_reason(s["text"])),
                "devanagari": round(script_shares(text).get("DEVANAGARI", 0.0), 3),
                "wer": round(word_error_rate(reference, text.replace("।", " ")), 3),  # a danda may join two words
                "redecoded": [s.get("redecoded") for s in document["segments"] if s.get("redecoded")],
                "dropped": document.get("dropped_segments", []),
                "text": text,
            }
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
