"""Punctuation the stages break text at, across the writing systems they meet (Latin, Devanagari's
danda and double danda, the Arabic script's full stop and question mark as Urdu writes them,
CJK full-width marks). Stdlib only (every stage env can import it)."""

SENTENCE_END = (".", "?", "!", "…", "।", "॥", "۔", "؟", "。", "？", "！")
CLAUSE_END = (",", ";", ":", "—", "–", "、", "，")
