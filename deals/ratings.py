"""Rating buckets: map an agency rating as written (S&P, Fitch, Moody's, KBRA, CN agencies)."""

import re

BUCKETS = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC-D", "NR"]
INVESTMENT_GRADE = frozenset(BUCKETS[:4])

_MOODYS = [("Aaa", "AAA"), ("Aa", "AA"), ("Baa", "BBB"), ("Ba", "BB"), ("Caa", "CCC-D"),
           ("Ca", "CCC-D"), ("A", "A"), ("B", "B"), ("C", "CCC-D")]
_LETTER = re.compile(r"\b(AAA|AA|A|BBB|BB|B|CCC|CC|C|D)(?:[+-]|\b)")
_MOODYS_TOKEN = re.compile(r"\b(Aaa|Aa[1-3]|A[1-3]|Baa[1-3]|Ba[1-3]|B[1-3]|Caa[1-3]|Ca|C)\b")


def rating_bucket(rating: str) -> str:
    """Return the bucket of a rating such as 'AA+', "Moody's A3" or 'AAA (wrapped)'; else NR."""
    text = (rating or "").strip()
    if match := _MOODYS_TOKEN.search(text):
        token = match.group(1)
        for prefix, bucket in _MOODYS:
            if token.startswith(prefix):
                return bucket
    if match := _LETTER.search(text.upper().replace("SF", "")):
        letters = match.group(1)
        return letters if letters in INVESTMENT_GRADE or letters in ("BB", "B") else "CCC-D"
    return "NR"
