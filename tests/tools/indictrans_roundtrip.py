"""IndicTransToolkit pre/post-processing round trip as the translate stage does it (with its
repair of indic-nlp-library-itt), run on the indictrans env.

Usage: indictrans_roundtrip.py FILE N LANG   (LANG a FLORES code, e.g. hin_Deva)
Prints JSON: {"original", "preprocessed" (as sent to the model, translating from LANG into
English), "restored" (postprocess_batch of the preprocessed text without its language tags)}.
"""

from __future__ import annotations

import json
import sys

from translate import repair_indic_normalizers  # the stage's own processing (scripts/ on PYTHONPATH)

repair_indic_normalizers()
from IndicTransToolkit.processor import IndicProcessor  # noqa: E402

path, count, lang = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path, encoding="utf-8").read().splitlines()[:count]
preprocessed = IndicProcessor(inference=True).preprocess_batch(lines, src_lang=lang, tgt_lang="eng_Latn")
# As if the model had echoed the sentence back into LANG: strip the "<src> <tgt> " tags.
processor = IndicProcessor(inference=True)
processor.preprocess_batch(lines, src_lang="eng_Latn", tgt_lang=lang)  # registers placeholders
restored = processor.postprocess_batch([p.split(" ", 2)[2] for p in preprocessed], lang=lang)
print(json.dumps({"original": lines, "preprocessed": preprocessed, "restored": restored}, ensure_ascii=False))
