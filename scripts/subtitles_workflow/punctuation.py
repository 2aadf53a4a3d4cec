"""Punctuation the stages break text at, across the writing systems they meet (Latin, Devanagari's
danda, CJK full-width marks). Stdlib only (every stage env can import it)."""

SENTENCE_END = (".", "?", "!", "…", "।", "。", "？", "！")
CLAUSE_END = (",", ";", ":", "—", "–", "、", "，")
