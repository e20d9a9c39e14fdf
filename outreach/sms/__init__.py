"""The SMS program: subscriptions, keywords, and how long a text is once a phone network carries it.

A text travels in 140-byte segments. When every character is in the GSM 03.38 alphabet (the 7-bit default
alphabet and its extension table), a lone segment holds 160 characters and a segment of a longer message 153
(the rest is the header that joins them). One character outside it and the whole text goes as UCS-2: 70, or
67 per joined segment. Carriers bill, and sometimes deliver, segment by segment, so the program's own texts are
written to fit one GSM-7 segment and split on purpose when they cannot.
"""

from __future__ import annotations

# GSM 03.38 default alphabet (the escape 0x1B is not a character of its own) and the extension table, whose
# characters take two septets (escape + code).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153   # septets in a lone segment, and in each segment of a joined message
UCS2_SINGLE, UCS2_PART = 70, 67     # UTF-16 code units, likewise

# Look-alikes a phone shows just as well: folding them keeps Spanish texts (acción, información) in GSM-7.
# é, ñ, ü, ¿ and ¡ are GSM-7 already and stay as written.
_GSM7_FOLDS = str.maketrans({
    "á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U", "â": "a", "ê": "e",
    "ô": "o", "ç": "c", "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " ",
})


def is_gsm7(text: str) -> bool:
    """Tell whether a text can travel in the GSM 7-bit alphabet."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def segments(text: str) -> int:
    """Return how many SMS segments a text takes (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        units = [2 if c in GSM7_EXTENSION else 1 for c in text]
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]  # a surrogate pair is two UTF-16 units
        single, part = UCS2_SINGLE, UCS2_PART
    if sum(units) <= single:
        return 1
    # An escaped character or a surrogate pair is never cut in two: pack segment by segment.
    count, used = 1, 0
    for size in units:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return count


def fold_to_gsm7(text: str) -> str:
    """Replace characters outside GSM-7 by the look-alikes inside it (á → a, ’ → '); others stay as they are."""
    return text.translate(_GSM7_FOLDS)
