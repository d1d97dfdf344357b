"""Text people type, made safe to store and show: one set of rules for every way in.

Comment bodies, report texts and display names pass through here, whether they come from a
form or the JSON API, so an invisible character refused in one place is refused everywhere.

- NFC, so the same word is stored the same way however the keyboard composed it.
- Line breaks become ``\\n``. Other C0 controls (NUL and friends), DEL and the C1 controls
  (U+0080–U+009F) are refused: they are invisible, break HTML and confuse databases.
- Bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069) are
  refused: they make text display in a different order than it is stored ("Trojan Source").
- Text of only spaces and format characters (U+200B, U+FEFF, …) counts as empty.

Display names are stricter (one line, no format characters at all, one script per word, and
names that pose as the city or its staff are reserved for staff).
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# C0 except tab and newline, DEL, C1 (carriage returns are turned into newlines first).
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class TextError(ValueError):
    """Text that cannot be accepted; ``code`` is stable for the API, ``message`` for people."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


def is_blank(text: str) -> bool:
    """Nothing visible: only white space, format characters (U+200B, U+FEFF …) or nothing."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Mn") for ch in text)


def clean_text(text: str, *, multiline: bool = True) -> str:
    """NFC, ``\\n`` line ends, trimmed; refuses controls and bidi overrides (``TextError``).

    Blank text comes back as ``""``, so callers have one emptiness test.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline and ("\n" in text or "\t" in text):
        raise TextError("control_characters", _("Please use a single line without tabs."))
    if _CONTROL_RE.search(text):
        raise TextError("control_characters", _("The text contains invisible control characters. Please remove them."))
    if any(ch in BIDI_CONTROLS for ch in text):
        raise TextError(
            "bidi_characters",
            _("The text contains characters that change the writing direction. Please remove them."),
        )
    text = unicodedata.normalize("NFC", text).strip()
    return "" if is_blank(text) else text


# --- display names --------------------------------------------------------------------------

# Scripts whose letters may share one word (Japanese writes Han, Hiragana and Katakana together).
_COMPATIBLE_SCRIPTS = [frozenset({"CJK", "HIRAGANA", "KATAKANA"}), frozenset({"HANGUL", "CJK"})]
# Letters of other scripts that look like Latin ones, folded before reserved names are compared.
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ё": "e", "ї": "i", "г": "r", "п": "n", "ь": "b",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ζ": "z",
    # Latin and digits that pass for letters
    "0": "o", "ı": "i", "ſ": "s", "|": "l",
})


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name (``LATIN SMALL LETTER A`` → ``LATIN``)."""
    if not unicodedata.category(ch).startswith("L"):
        return None  # digits, marks, punctuation belong to no script of their own
    name = unicodedata.name(ch, "").removeprefix("HALFWIDTH ").removeprefix("FULLWIDTH ")
    if name.startswith(("CJK", "IDEOGRAPHIC")):
        return "CJK"
    if name.startswith(("KATAKANA-HIRAGANA", "MODIFIER")):
        return None  # shared by several scripts
    return name.split(" ", 1)[0] or None


def mixes_scripts(word: str) -> bool:
    """Letters of more than one script in one word, such as a Cyrillic М in "Моderation"."""
    scripts = {s for s in map(_script, word) if s}
    if len(scripts) <= 1:
        return False
    return not any(scripts <= allowed for allowed in _COMPATIBLE_SCRIPTS)


def skeleton(text: str) -> str:
    """A form for comparing names: NFKC, case-folded, look-alikes folded, no marks or spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_LOOKALIKES)
    decomposed = unicodedata.normalize("NFD", folded)
    return "".join(ch for ch in decomposed if ch.isalnum() and unicodedata.category(ch) != "Mn")


def reserved_names(site_name: str | None) -> set[str]:
    names = {"Moderation", "Moderator", "Moderatorin", "Moderationsteam", "Administration", "Administrator",
             "Admin", "Stadt Münster", "Stadt Muenster", "Münster", "Smart City Münster", "Stadtverwaltung",
             "Support", "System"}
    if site_name:
        names.add(site_name)
    return {skeleton(name) for name in names}


def _poses_as_staff(name: str, reserved: set[str]) -> bool:
    """Exactly a reserved name, or containing a long one ("Moderation Team", "Stadt Münster Presse").

    Short ones (admin, system) count only exactly, so "Badminton-Fan" stays possible.
    """
    return name in reserved or any(len(word) >= 8 and word in name for word in reserved)


def clean_display_name(name: str, *, staff: bool = False, site_name: str | None = None) -> str:
    """The name as it will be shown, or a ``TextError`` saying what is wrong with it."""
    name = clean_text(name, multiline=False)
    if not name:
        raise TextError("empty", _("Please enter a display name."))
    if any(unicodedata.category(ch) in ("Cf", "Co", "Cn") for ch in name):  # format, private, unassigned
        raise TextError("invisible_characters", _("Please use only visible characters in your name."))
    name = re.sub(r"\s+", " ", name)
    if any(mixes_scripts(word) for word in name.split(" ")):
        raise TextError(
            "mixed_scripts",
            _("Please do not mix alphabets within a word (for example Latin and Cyrillic letters)."),
        )
    if not staff and _poses_as_staff(skeleton(name), reserved_names(site_name)):
        raise TextError(
            "reserved_name",
            _("This name is reserved for the city and its moderation team. Please choose another one."),
        )
    return name
