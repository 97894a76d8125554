"""Text as the guard sees it: one normal form for the rules, and the features the model counts.

Lower case, accents removed (``suïcide`` → ``suicide``), typographic quotes made plain, letters
repeated three times or more cut to two (``sooo`` → ``soo``), runs of spaces made one. The model's
features are words, word pairs, and the 3- to 5-letter pieces of each word: the pieces let a
misspelt word (``beter``, ``evryone``) and a Dutch compound (``eetstoorniskliniek``) share
evidence with the words the model saw.
"""

import re
import unicodedata

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalize(text):
    """The normal form of ``text``: what the rules match and the model reads."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_QUOTES))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def words(normalized):
    return _WORD.findall(normalized)


def features(normalized):
    """The set of features of a normalized text (binary: present or not)."""
    tokens = words(normalized)
    found = {"w:" + token for token in tokens}
    found.update("b:" + first + "_" + second for first, second in zip(tokens, tokens[1:], strict=False))
    for token in tokens:
        if len(token) < 4:
            continue
        padded = f"<{token}>"
        for size in (3, 4, 5):
            found.update("c:" + padded[start : start + size] for start in range(len(padded) - size + 1))
    if "?" in normalized:
        found.add("p:?")
    if "!" in normalized:
        found.add("p:!")
    return found
