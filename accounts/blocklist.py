"""Passwords nobody may choose (NIST SP 800-63B, 5.1.1.2): values from breach corpuses and
commonly used ones, guessable variants of them, and words of this context.

The list is ``data/common-passwords.txt`` (its header names the source). A password is refused
when, lower-cased:

* it is on the list, or is a listed password with digits or symbols added at the end or the
  start (``monkey2024!``), or a listed password written with spaces (``pass word 123``);
* it is one of this service's words (``metro``, ``hanoi``, ``catlinh`` …), with such additions;
* it uses fewer than four different characters (``aaaaaaaaaa``, ``ababababab``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

LIST_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
#: Words of this context (NIST: "context-specific words, such as the name of the service").
CONTEXT_WORDS = frozenset(
    {"metro", "metroops", "hanoi", "hanoimetro", "catlinh", "hadong", "catlinhhadong",
     "line2a", "tuyen2a", "duongsat", "duongsatdothi", "yennghia", "password", "matkhau"}
)  # fmt: skip
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords(path: Path = LIST_FILE) -> frozenset[str]:
    """The bundled list, read once."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


def refusal(password: str, username: str = "") -> str | None:
    """Why ``password`` may not be used, or ``None`` when it may."""
    low = password.lower()
    listed = common_passwords()
    squeezed = re.sub(r"\s+", "", low)
    core = _EDGES.sub("", squeezed)
    for candidate in {low, squeezed, core}:
        if candidate in listed and len(candidate) >= 4:
            return "the password is on a list of common or breached passwords: choose another"
        if candidate in CONTEXT_WORDS or (username and candidate == username.lower()):
            return "the password is a word of this service or your user name: choose another"
    if len(set(low)) < 4:
        return "the password repeats too few characters: choose another"
    return None
