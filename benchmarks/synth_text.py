"""Synthetic transcript text: a Zipf vocabulary of pseudo-words with keywords, and turns.

The vocabulary holds common English function words at the top ranks, then pseudo-words made
of syllables (2 % of them with an accented letter); ``n_keywords`` mid-frequency ASCII words
(about 10 % of them two-word phrases) are the keyword rules' words, so the rules hit a
realistic 2-3 % of the words. Text is built by fancy indexing into the words' prepared forms
(capitalised or not, with or without a following mark), fast enough for 100 MB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Vocabulary", "make_text_turns", "sentences", "vocabulary"]

_FUNCTION_WORDS = (
    "the and we to of a that is in it they you for with on this not be but have are so was "
    "our what at as there if from can do one all about more when also their would just very "
    "think because then which them really know like well yes no how time some other quite"
).split()
_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cl dr fl gr pl pr sh st th tr".split()
_VOWELS = "a e i o u ai ea ie oo ou".split()
_CODAS = ["", "", "", "n", "r", "s", "l", "m", "t", "nd", "st"]
_ACCENTED = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "í"}


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """Words by frequency rank, their forms, the keywords and the sampling distribution.

    ``forms`` holds every word in 8 forms (capitalised or not x no mark, ``,``, ``.``, ``?``)
    as an object array of shape ``(8, n_words)``, so text is built by fancy indexing.
    """

    words: tuple[str, ...]
    keywords: tuple[str, ...]
    probabilities: np.ndarray
    forms: np.ndarray


def vocabulary(n_keywords: int = 300, n_words: int = 20_000, seed: int = 0) -> Vocabulary:
    """Return a Zipf vocabulary of pseudo-words with ``n_keywords`` keywords among them.

    Examples
    --------
    >>> v = vocabulary(12, 2_000, seed=1)
    >>> len(v.keywords), len(set(v.keywords)), all(k.isascii() for k in v.keywords)
    (12, 12, True)
    """
    rng = np.random.default_rng(seed)
    seen = set(_FUNCTION_WORDS)
    made: list[str] = []
    while len(made) < n_words - len(_FUNCTION_WORDS):
        m = 2 * n_words  # candidates drawn in one go; repeats are skipped
        n_syl = rng.choice([1, 2, 2, 3, 3, 4], size=m).tolist()
        onset = rng.integers(0, len(_ONSETS), size=(m, 4)).tolist()
        vowel = rng.integers(0, len(_VOWELS), size=(m, 4)).tolist()
        coda = rng.integers(0, len(_CODAS), size=m).tolist()
        for k in range(m):
            word = (
                "".join(_ONSETS[onset[k][j]] + _VOWELS[vowel[k][j]] for j in range(n_syl[k]))
                + _CODAS[coda[k]]
            )
            if word not in seen:
                seen.add(word)
                made.append(word)
                if len(made) == n_words - len(_FUNCTION_WORDS):
                    break
    words = list(_FUNCTION_WORDS) + made
    # keywords: ASCII pseudo-words spread over ranks 60..4000 (mid frequency); about 10 %
    # of them become two-word phrases (a vocabulary entry holding a space)
    ranks = np.unique(np.linspace(60, min(4000, len(words) - 1), n_keywords).astype(int)).tolist()
    while len(ranks) < n_keywords:  # tiny vocabularies: fill with further ranks
        ranks.append(max(ranks) + 1)
    ranks = ranks[:n_keywords]
    keywords = []
    for i, rank in enumerate(ranks):
        if i % 10 == 7:
            partner = made[-1 - i]  # a rare word used only inside this phrase
            words[rank] = f"{words[rank]} {partner}"
        keywords.append(words[rank])
    # accents on 2 % of the other words (names and loanwords in European transcripts)
    keyset = set(ranks)
    for rank in rng.choice(np.arange(100, len(words)), size=len(words) // 50, replace=False):
        if int(rank) not in keyset:
            word = words[int(rank)]
            k = next(j for j, ch in enumerate(word) if ch in _ACCENTED)
            words[int(rank)] = word[:k] + _ACCENTED[word[k]] + word[k + 1 :]
    p = 1.0 / np.arange(1, len(words) + 1) ** 1.07
    p /= p.sum()
    capital = [w[:1].upper() + w[1:] for w in words]
    forms = np.empty((8, len(words)), dtype=object)
    for cap, base in enumerate((words, capital)):
        for mark, suffix in enumerate(("", ",", ".", "?")):
            forms[cap * 4 + mark] = [w + suffix for w in base]
    return Vocabulary(tuple(words), tuple(keywords), p, forms)


def sentences(vocab: Vocabulary, lengths: np.ndarray, rng: np.random.Generator) -> list[str]:
    """One text per entry of ``lengths`` (words): sentences of a Zipf vocabulary."""
    lengths = np.maximum(np.asarray(lengths, dtype=np.int64), 1)
    total = int(lengths.sum())
    idx = rng.choice(len(vocab.words), size=total, p=vocab.probabilities)
    mark = rng.choice(4, size=total, p=[0.84, 0.07, 0.075, 0.015])
    ends = np.cumsum(lengths)
    mark[ends - 1] = np.where(mark[ends - 1] == 3, 3, 2)  # every turn ends a sentence
    cap = np.zeros(total, dtype=np.int64)
    cap[1:] = mark[:-1] >= 2  # a word after . or ? starts a sentence
    cap[ends - lengths] = 1
    tokens = vocab.forms[cap * 4 + mark, idx]
    starts = (ends - lengths).tolist()
    return [" ".join(tokens[a:b]) for a, b in zip(starts, ends.tolist(), strict=True)]


def make_text_turns(
    megabytes: float,
    vocab: Vocabulary,
    *,
    words_per_turn: int = 70,
    turns_per_transcript: int = 60,
    seed: int = 0,
) -> pd.DataFrame:
    """Turns with text, in memory, holding about ``megabytes`` of UTF-8 text (10^6 bytes).

    Speakers alternate between a researcher (short turns) and a participant, as in
    :func:`generate_study`; offsets are those of the normalised text (``"Speaker: text"``
    blocks separated by a blank line). Columns: transcript_id, turn, speaker, participant_id,
    perspective, kind, start, end, text.

    Examples
    --------
    >>> t = make_text_turns(0.05, vocabulary(12, 2_000))
    >>> bool(40_000 < t.text.str.len().sum() < 60_000)
    True
    """
    rng = np.random.default_rng(seed)
    per_turn = 6.6 * (words_per_turn + words_per_turn / 4) / 2
    n = max(2, round(megabytes * 1e6 / per_turn))
    researcher = np.arange(n) % 2 == 0
    mean = np.where(researcher, words_per_turn / 4, words_per_turn)
    lengths = np.maximum(2, rng.lognormal(np.log(mean) - 0.18, 0.6)).astype(np.int64)
    texts = sentences(vocab, lengths, rng)
    chars = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    tix = np.arange(n) // turns_per_transcript
    label = np.where(researcher, len("Kim: "), len("Ada: "))
    block = label + chars + 2
    first = np.r_[True, tix[1:] != tix[:-1]]
    before = np.cumsum(block) - block  # offset of this block in one long text
    base = np.maximum.accumulate(np.where(first, before, 0))  # ... minus its transcript's start
    start = before - base + label
    return pd.DataFrame(
        {
            "transcript_id": pd.array([f"T{k + 1:05d}" for k in tix], dtype="str"),
            "turn": (np.arange(n) % turns_per_transcript + 1).astype(np.int64),
            "speaker": pd.array(np.where(researcher, "Kim", "Ada"), dtype="str"),
            "participant_id": pd.array(np.where(researcher, "R1", "P001"), dtype="str"),
            "perspective": pd.array(np.where(researcher, "researcher", "client"), dtype="str"),
            "kind": pd.array(["interview"] * n, dtype="str"),
            "start": start.astype(np.int64),
            "end": (start + chars).astype(np.int64),
            "text": pd.array(texts, dtype="str"),
        }
    )
