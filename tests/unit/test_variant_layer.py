"""Variants are a layer (rules/variants.smk): every rule of the stages a variant may change has
its copy there, named after it, with the same named inputs, outputs and wildcard constraints,
a log and a benchmark where the rule has one; the stage rules themselves know nothing of variants. A new stage rule
without its copy would leave a variant no rule to build its artifact with, and an input added
to a rule but not to its copy (which replaces the inputs whole) would be missing from the
variant's jobs."""

from __future__ import annotations

import re

from project import PROJECT

RULES = PROJECT / "rules"
# The rule files of the stages in VARIANT_STAGES (rules/common/variants.smk).
VARIED_STAGE_FILES = ("asr.smk", "timing.smk", "align.smk", "translate.smk", "subtitles.smk")
DEFAULT_BUILD_ONLY = {
    "detected_language": "the checkpoint of `auto` films reads the default build's transcript",
    "subtitles_burn": "a burned-in copy is made of the default build's subtitles only",
}


def stage_rules() -> set[str]:
    return {
        name
        for file in VARIED_STAGE_FILES
        for name in re.findall(r"^(?:rule|checkpoint) (\w+):", (RULES / file).read_text(), re.M)
    }


def layer_copies() -> dict[str, str]:
    return dict(re.findall(r"^[ ]*use rule (\w+) as (\w+) with:", (RULES / "variants.smk").read_text(), re.M))


def rule_block(text: str, header: str) -> str:
    """The lines of one rule (or copy), from its header to the next line as little indented."""
    start = text.index(header)
    indent = len(header) - len(header.lstrip())
    lines = text[start:].splitlines()[1:]
    block = []
    for line in lines:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    return "\n".join(block)


def section(block: str, keyword: str) -> dict[str, str] | None:
    """The names a rule's `keyword:` section gives, with their values as written
    (`**stage_inputs(...)` gives `env`, `**stage_params(...)` python, code and code_digest), or
    None when it has none."""
    match = re.search(rf"^(\s+){keyword}:\n((?:\1\s+.*\n?)+)", block + "\n", re.M)
    if not match:
        return None
    named = dict(re.findall(r"^\s+(\w+)=(.*?),?$", match[2], re.M))
    if "**stage_inputs(" in match[2]:
        named["env"] = "stage_inputs"
    if "**stage_params(" in match[2]:
        named.update(dict.fromkeys(("python", "code", "code_digest"), "stage_params"))
    return named


def section_names(block: str, keyword: str) -> set[str] | None:
    named = section(block, keyword)
    return None if named is None else set(named)


# The stage whose variants each copy builds (its `variant` constraint).
COPY_STAGE = {
    "asr_transcribe": "asr", "translate_whisper": "asr", "timing_refine": "timing", "align_words": "align",
    "timing_whisper_translation": "translate", "translate_transformers": "translate",
    "translate_indictrans2": "translate", "subtitles_render": "subtitles",
}  # fmt: skip
# The params a copy takes from its rule as they are (Snakemake merges params by name), because
# they are the same in every build or read the job's build themselves (config_for(wildcards)).
# Any other param of a stage rule must be restated in its copy.
SAME_SCRIPT = {"code", "code_digest"}  # the stage's own script (asr's copies restate theirs: a variant may switch the backend)
FILM_LANGUAGE = {"language", "language_policy"}  # the film's (media sheet), the policy per job
INHERITED = {
    "asr_transcribe": FILM_LANGUAGE,
    "translate_whisper": FILM_LANGUAGE,
    "timing_refine": SAME_SCRIPT,
    "timing_whisper_translation": SAME_SCRIPT,
    "align_words": SAME_SCRIPT | {"model"},  # get_align_model
    # the translate env is the same in every build (a variant's envs: are asr, align, subtitles)
    "translate_transformers": SAME_SCRIPT | {"python", "model"},  # get_translation_model
    "translate_indictrans2": SAME_SCRIPT | {"python", "model"},
    "subtitles_render": SAME_SCRIPT | {"render"},  # subtitle_render
}


def test_every_varied_stage_rule_has_its_copy():
    copies = layer_copies()
    assert set(copies) == stage_rules() - set(DEFAULT_BUILD_ONLY)
    assert all(copy == f"variant_{rule}" for rule, copy in copies.items()), copies


def test_each_copy_restates_what_its_rule_names():
    stage_text = "\n".join((RULES / file).read_text() for file in VARIED_STAGE_FILES)
    layer_text = (RULES / "variants.smk").read_text()
    for rule, copy in layer_copies().items():
        header = re.search(rf"^(?:rule|checkpoint) {rule}:", stage_text, re.M)[0]
        original = rule_block(stage_text, header)
        layered = rule_block(layer_text, re.search(rf"^[ ]*use rule {rule} as {copy} with:", layer_text, re.M)[0])
        for keyword in ("input", "output", "log", "benchmark"):
            assert section_names(layered, keyword) == section_names(original, keyword), (copy, keyword)
        # constraints are replaced whole too: the rule's own, and the variants that change it
        constraints = {**(section(original, "wildcard_constraints") or {}), "variant": f'variants_varying("{COPY_STAGE[rule]}")'}
        assert section(layered, "wildcard_constraints") == constraints, copy
        assert section_names(original, "params") - section_names(layered, "params") == INHERITED[rule], copy


def test_the_stage_rules_know_nothing_of_variants():
    for file in VARIED_STAGE_FILES:
        text = (RULES / file).read_text()
        assert not re.search(r"\{tree\}|variant|config_for", text), f"rules/{file} mentions variants"
