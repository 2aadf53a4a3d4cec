"""The asr options, typed: one field per key of the asr block in config/schemas/config.schema.yaml
(where every default lives; the workflow fills them in, config_check.fill_defaults, and the
rule passes the keys it names in ASR_DECODING_KEYS, rules/asr.smk, as JSON). No field has a
default here, so a key that did not arrive is an error naming it, never a quiet second default.

Trace a config key: the schema (its default) -> the rule's key tuple -> this class -> the backend
script that uses it (scripts/asr.py, asr_whisperx.py, asr_mlx.py; grep `options.<key>`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, fields
from typing import Any

from subtitles_workflow.io import StageError

log = logging.getLogger("stage")
# `task` is no config key: the translate_whisper rule adds "translate" to the options (Whisper's
# own translation into English); the asr rule leaves it out.
TRANSCRIBE = "transcribe"


@dataclass(frozen=True)
class AsrOptions:
    backend: str  # resolved by the workflow: faster-whisper, whisperx or mlx-whisper
    device: str  # auto | cpu | cuda (the rule resolves auto on its machine)
    compute_type: str
    beam_size: int
    vad_filter: bool
    condition_on_previous_text: bool
    batch_size: int | str  # 0 = sequential, >1 batched, or auto
    initial_prompt: str  # per film: the rule's --vocabulary
    hotwords: str
    task: str  # transcribe | translate (see TRANSCRIBE)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> AsrOptions:
        """From the rule's JSON (options and vocabulary merged). A missing or unknown key is one
        clear line: the schema and this class have drifted apart."""
        raw = {"task": TRANSCRIBE, **raw}
        names = [field.name for field in fields(cls)]
        missing = [name for name in names if name not in raw]
        if missing:
            raise StageError(f"asr options lack {', '.join(missing)} (defaults come from config/schemas/config.schema.yaml)")
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise StageError(f"unknown asr options {', '.join(unknown)}: add them to AsrOptions and the schema")
        return cls(**{name: raw[name] for name in names})

    @classmethod
    def from_json(cls, options: str, vocabulary: str = "{}") -> AsrOptions:
        return cls.from_mapping({**json.loads(options), **json.loads(vocabulary)})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def warn_unhonoured(backend: str, unhonoured: dict[str, str]) -> None:
    """One warning line per option the backend cannot honour (never a silent ignore);
    `unhonoured` maps the option to what the backend does instead."""
    for option, instead in unhonoured.items():
        log.warning("%s cannot honour asr.%s: %s", backend, option, instead)
