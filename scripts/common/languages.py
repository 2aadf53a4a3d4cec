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
