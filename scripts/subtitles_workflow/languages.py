"""The one language table: ISO 639-1 codes users write -> codes each consumer needs.

Whisper's 99 languages (the codes faster-whisper accepts, incl. its `jw` and `haw`, `yue`), with
the ISO 639-2/B code that Matroska and MP4 language tags expect and an English name for titles.
"""

from __future__ import annotations

# code: (ISO 639-2/B, English name)
LANGUAGES: dict[str, tuple[str, str]] = {
    "af": ("afr", "Afrikaans"), "am": ("amh", "Amharic"), "ar": ("ara", "Arabic"),
    "as": ("asm", "Assamese"), "az": ("aze", "Azerbaijani"), "ba": ("bak", "Bashkir"),
    "be": ("bel", "Belarusian"), "bg": ("bul", "Bulgarian"), "bn": ("ben", "Bengali"),
    "bo": ("tib", "Tibetan"), "br": ("bre", "Breton"), "bs": ("bos", "Bosnian"),
    "ca": ("cat", "Catalan"), "cs": ("cze", "Czech"), "cy": ("wel", "Welsh"),
    "da": ("dan", "Danish"), "de": ("ger", "German"), "el": ("gre", "Greek"),
    "en": ("eng", "English"), "es": ("spa", "Spanish"), "et": ("est", "Estonian"),
    "eu": ("baq", "Basque"), "fa": ("per", "Persian"), "fi": ("fin", "Finnish"),
    "fo": ("fao", "Faroese"), "fr": ("fre", "French"), "gl": ("glg", "Galician"),
    "gu": ("guj", "Gujarati"), "ha": ("hau", "Hausa"), "haw": ("haw", "Hawaiian"),
    "he": ("heb", "Hebrew"), "hi": ("hin", "Hindi"), "hr": ("hrv", "Croatian"),
    "ht": ("hat", "Haitian Creole"), "hu": ("hun", "Hungarian"), "hy": ("arm", "Armenian"),
    "id": ("ind", "Indonesian"), "is": ("ice", "Icelandic"), "it": ("ita", "Italian"),
    "ja": ("jpn", "Japanese"), "jw": ("jav", "Javanese"), "ka": ("geo", "Georgian"),
    "kk": ("kaz", "Kazakh"), "km": ("khm", "Khmer"), "kn": ("kan", "Kannada"),
    "ko": ("kor", "Korean"), "la": ("lat", "Latin"), "lb": ("ltz", "Luxembourgish"),
    "ln": ("lin", "Lingala"), "lo": ("lao", "Lao"), "lt": ("lit", "Lithuanian"),
    "lv": ("lav", "Latvian"), "mg": ("mlg", "Malagasy"), "mi": ("mao", "Maori"),
    "mk": ("mac", "Macedonian"), "ml": ("mal", "Malayalam"), "mn": ("mon", "Mongolian"),
    "mr": ("mar", "Marathi"), "ms": ("may", "Malay"), "mt": ("mlt", "Maltese"),
    "my": ("bur", "Burmese"), "ne": ("nep", "Nepali"), "nl": ("dut", "Dutch"),
    "nn": ("nno", "Norwegian Nynorsk"), "no": ("nor", "Norwegian"), "oc": ("oci", "Occitan"),
    "pa": ("pan", "Punjabi"), "pl": ("pol", "Polish"), "ps": ("pus", "Pashto"),
    "pt": ("por", "Portuguese"), "ro": ("rum", "Romanian"), "ru": ("rus", "Russian"),
    "sa": ("san", "Sanskrit"), "sd": ("snd", "Sindhi"), "si": ("sin", "Sinhala"),
    "sk": ("slo", "Slovak"), "sl": ("slv", "Slovenian"), "sn": ("sna", "Shona"),
    "so": ("som", "Somali"), "sq": ("alb", "Albanian"), "sr": ("srp", "Serbian"),
    "su": ("sun", "Sundanese"), "sv": ("swe", "Swedish"), "sw": ("swa", "Swahili"),
    "ta": ("tam", "Tamil"), "te": ("tel", "Telugu"), "tg": ("tgk", "Tajik"),
    "th": ("tha", "Thai"), "tk": ("tuk", "Turkmen"), "tl": ("tgl", "Tagalog"),
    "tr": ("tur", "Turkish"), "tt": ("tat", "Tatar"), "uk": ("ukr", "Ukrainian"),
    "ur": ("urd", "Urdu"), "uz": ("uzb", "Uzbek"), "vi": ("vie", "Vietnamese"),
    "yi": ("yid", "Yiddish"), "yo": ("yor", "Yoruba"), "yue": ("chi", "Cantonese"),
    "zh": ("chi", "Chinese"),
}


def iso639_2(code: str) -> str:
    """Container language tag for a user-facing code ('en' -> 'eng'); 'und' when unknown."""
    return LANGUAGES.get(code, ("und", ""))[0]


def language_name(code: str) -> str:
    return LANGUAGES.get(code, ("", code))[1] or code


# ISO 639-1 -> FLORES-200 code, used by NLLB-200 and IndicTrans2 (the Whisper languages NLLB has).
FLORES: dict[str, str] = {
    "af": "afr_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "as": "asm_Beng", "az": "azj_Latn",
    "ba": "bak_Cyrl", "be": "bel_Cyrl", "bg": "bul_Cyrl", "bn": "ben_Beng", "bo": "bod_Tibt",
    "bs": "bos_Latn", "ca": "cat_Latn", "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn",
    "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn", "et": "est_Latn",
    "eu": "eus_Latn", "fa": "pes_Arab", "fi": "fin_Latn", "fo": "fao_Latn", "fr": "fra_Latn",
    "gl": "glg_Latn", "gu": "guj_Gujr", "ha": "hau_Latn", "he": "heb_Hebr", "hi": "hin_Deva",
    "hr": "hrv_Latn", "ht": "hat_Latn", "hu": "hun_Latn", "hy": "hye_Armn", "id": "ind_Latn",
    "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "jw": "jav_Latn", "ka": "kat_Geor",
    "kk": "kaz_Cyrl", "km": "khm_Khmr", "kn": "kan_Knda", "ko": "kor_Hang", "lb": "ltz_Latn",
    "ln": "lin_Latn", "lo": "lao_Laoo", "lt": "lit_Latn", "lv": "lvs_Latn", "mg": "plt_Latn",
    "mi": "mri_Latn", "mk": "mkd_Cyrl", "ml": "mal_Mlym", "mn": "khk_Cyrl", "mr": "mar_Deva",
    "ms": "zsm_Latn", "mt": "mlt_Latn", "my": "mya_Mymr", "ne": "npi_Deva", "nl": "nld_Latn",
    "nn": "nno_Latn", "no": "nob_Latn", "oc": "oci_Latn", "pa": "pan_Guru", "pl": "pol_Latn",
    "ps": "pbt_Arab", "pt": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl", "sa": "san_Deva",
    "sd": "snd_Arab", "si": "sin_Sinh", "sk": "slk_Latn", "sl": "slv_Latn", "sn": "sna_Latn",
    "so": "som_Latn", "sr": "srp_Cyrl", "su": "sun_Latn", "sv": "swe_Latn", "sw": "swh_Latn",
    "ta": "tam_Taml", "te": "tel_Telu", "tg": "tgk_Cyrl", "th": "tha_Thai", "tk": "tuk_Latn",
    "tl": "tgl_Latn", "tr": "tur_Latn", "tt": "tat_Cyrl", "uk": "ukr_Cyrl", "ur": "urd_Arab",
    "uz": "uzn_Latn", "vi": "vie_Latn", "yi": "ydd_Hebr", "yo": "yor_Latn", "yue": "yue_Hant",
    "zh": "zho_Hans",
}  # fmt: skip

# The 22 scheduled languages of India that IndicTrans2 covers, as the Whisper codes we accept
# (IndicTrans2's own FLORES codes for these are the same as NLLB's, except Sindhi in Arabic script).
INDIC = ("as", "bn", "gu", "hi", "kn", "ml", "mr", "ne", "pa", "sa", "sd", "ta", "te", "ur")
INDICTRANS2_CODES = {**{code: FLORES[code] for code in INDIC}, "en": "eng_Latn", "sd": "snd_Arab"}

# M2M100 uses ISO 639-1 codes; these are the Whisper languages it has.
M2M100 = (
    "af am ar as az ba be bg bn br bs ca cs cy da de el en es et fa fi fr gl gu ha he hi hr ht hu hy "
    "id is it ja jw ka kk km kn ko lb ln lo lt lv mg mk ml mn mr ms my ne nl no oc pa pl ps pt ro ru "
    "sd si sk sl so sq sr su sv sw ta th tl tr uk ur uz vi yi yo zh"
).split()

TRANSLATION_BACKENDS = ("whisper", "indictrans2", "nllb", "m2m100", "marian")


def backend_codes(backend: str, source: str, target: str) -> tuple[str, str]:
    """The pair in the backend's own codes; ValueError listing what it supports otherwise."""
    if backend == "whisper":
        if target != "en" or source not in LANGUAGES:
            raise ValueError("whisper translates any Whisper language into English (target 'en') only")
        return source, target
    if backend == "indictrans2":
        table = INDICTRANS2_CODES
        if source in table and target in table and (source in INDIC or target in INDIC) and source != target:
            return table[source], table[target]
        raise ValueError(f"indictrans2 translates between English and {', '.join(INDIC)}, or among those")
    if backend == "nllb":
        table = FLORES
    elif backend == "m2m100":
        table = {code: code for code in M2M100}
    elif backend == "marian":
        return source, target  # one model per pair; its id names the pair
    else:
        raise ValueError(f"unknown translation backend {backend!r}; use one of {', '.join(TRANSLATION_BACKENDS)}")
    missing = [code for code in (source, target) if code not in table]
    if missing:
        raise ValueError(f"{backend} does not support {', '.join(missing)}; it supports {', '.join(sorted(table))}")
    return table[source], table[target]


def default_backend(source: str, target: str) -> str:
    """Whisper's own translate task into English (offline, no MT weights needed); IndicTrans2
    when an Indic language is involved; NLLB otherwise."""
    if target == "en":
        return "whisper"
    if source in INDIC or target in INDIC:
        return "indictrans2"
    return "nllb"
