"""A seeded synthetic study of any size, written in the study's own formats.

:func:`generate_study` writes a real study folder that ``dsr`` and the library read like any
other::

    study.yaml                  organisations, P participants, 2 researchers, 3 cycles,
                                N transcripts
    interviews/T00001.txt ...   N transcripts of about M turns, in a mix of formats
                                (.txt/.md variants, .docx, .vtt, .srt; written by
                                dsr_workbench.corpus.formats.write_transcript)
    data/codebook.yaml          K codes over three Gioia levels, one keyword rule each
    data/codings/<coder>.jsonl  C coders' coding-event logs; coder 1 codes the "true" codings,
                                the others agree with it at a chosen level
    data/survey/*.csv           survey dyads (dsr_workbench.analysis.survey.make_survey)

The text comes from :mod:`benchmarks.synth_text` (a Zipf vocabulary of pseudo-words whose
mid-frequency words are the K keywords), the codings and logs from
:mod:`benchmarks.synth_tables`. Everything is a pure function of the :class:`StudySpec`
(including its ``seed``): the same spec gives byte-identical files (docx containers aside,
which carry a timestamp). The helpers of those two modules are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from benchmarks.synth_tables import (
    make_codings,
    make_reliability_data,
    make_turns,
    write_coding_logs,
)
from benchmarks.synth_text import Vocabulary, make_text_turns, sentences, vocabulary
from dsr_workbench.analysis.survey import make_survey, write_survey
from dsr_workbench.corpus.formats import Utterance, write_transcript
from dsr_workbench.corpus.read import render

__all__ = [
    "FORMATS",
    "GeneratedStudy",
    "StudySpec",
    "Vocabulary",
    "codebook_dict",
    "generate_study",
    "make_codings",
    "make_reliability_data",
    "make_text_turns",
    "make_turns",
    "spec_for_megabytes",
    "vocabulary",
    "write_coding_logs",
]

FORMATS: tuple[tuple[str, str], ...] = (
    ("txt", "colon"),
    ("txt", "bracket_time"),
    ("md", "speaker_line"),
    ("docx", "colon"),
    ("vtt", "voice"),
    ("txt", "colon"),
    ("srt", "colon"),
    ("txt", "paren_time"),
    ("vtt", "colon_first"),
    ("txt", "at"),
    ("md", "colon"),
    ("txt", "bracket_name"),
)
"""(suffix, variant) of transcript files, assigned to transcripts in turn."""

_FIRST = (
    "Ada Ben Cleo Dara Emil Fay Gus Hedda Ivo Jana Kai Lena Milo Nora Otto Pia Quinn Rosa "
    "Sami Tess Uma Vito Wren Xena Yuri Zoe Alma Bruno Carla Dino Elif Femi Gina Hugo Iris "
    "Jonas Kira Luca Mara Niko Olga Paul Rhea Sven Tara Udo Vera Walt Yara Zeno"
).split()
_LAST = (
    "Abel Berg Costa Dahl Ek Falk Gill Holm Ince Jung Kerr Lund Moss Nagy Ortiz Park Quist "
    "Rossi Sato Thal Ueda Voss Wahl Young Zorn Aalto Baptiste Cruz Diaz Eder Frey Grau Hale "
    "Iqbal Janssen Kovac Lind Meier Novak Olsen Pohl Reyes Silva Toth Unger Varga Weber"
).split()


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class StudySpec:
    """What to generate. Every field feeds the seed-determined output.

    Attributes
    ----------
    n_transcripts, turns_per_transcript, n_participants
        N transcripts of about M turns over P participants (besides two researchers).
    n_codes, n_coders, agreement
        K codes (one keyword rule each), C coders, and the share of coder 1's codings each
        other coder repeats exactly (the rest: another code on the same span, or missed;
        plus as many extra codings of their own as they missed).
    codings_per_coder
        Codings of coder 1 (0: none; no logs written).
    n_relationships
        Survey dyads (at least 6).
    focus_group_every
        Every n-th transcript is a focus group (0: none).
    words_per_turn
        Mean words of a participant's turn (a researcher's: a quarter of it).
    formats
        (suffix, variant) pairs cycled over the transcripts.
    """

    n_transcripts: int = 20
    turns_per_transcript: int = 60
    n_participants: int = 14
    n_codes: int = 300
    n_coders: int = 2
    agreement: float = 0.8
    codings_per_coder: int = 500
    n_relationships: int = 40
    focus_group_every: int = 8
    words_per_turn: int = 70
    formats: tuple[tuple[str, str], ...] = FORMATS
    seed: int = 0

    def digest(self) -> str:
        """A short hash of the spec (names cached folders)."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def spec_for_megabytes(megabytes: float, **overrides: Any) -> StudySpec:
    """A spec whose transcripts hold about ``megabytes`` of text (1 MB = 10^6 bytes).

    A word takes about 6.6 bytes with its space; researcher and participant turns alternate
    (a quarter of ``words_per_turn`` and ``words_per_turn`` words), so a transcript of M turns
    holds about ``M * (words + words/4) / 2 * 6.6`` bytes.

    Examples
    --------
    >>> spec_for_megabytes(1.0).n_transcripts
    58
    """
    base = StudySpec(**overrides)
    per_turn = 6.6 * (base.words_per_turn + base.words_per_turn / 4) / 2
    n = max(1, round(megabytes * 1e6 / (per_turn * base.turns_per_transcript)))
    return StudySpec(**{**asdict(base), "n_transcripts": n, "formats": base.formats})


@dataclass(frozen=True)
class GeneratedStudy:
    """Paths of a generated study and the numbers that describe it."""

    root: Path
    spec: StudySpec
    n_turns: int
    text_bytes: int  # UTF-8 bytes of the turns' texts
    file_bytes: int  # bytes of the transcript files
    keywords: tuple[str, ...]

    @property
    def study_yaml(self) -> Path:
        return self.root / "study.yaml"


# --------------------------------------------------------------------------- people


def _cast(spec: StudySpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    n_orgs = max(2, math.ceil(spec.n_participants / 3))
    orgs = [
        {
            "id": f"ORG{k + 1:02d}",
            "pseudonym": f"Organisation {k + 1}",
            "perspective": "client" if k % 2 == 0 else "cmo",
        }
        for k in range(n_orgs)
    ]
    people = []
    for i in range(spec.n_participants):
        first = _FIRST[i % len(_FIRST)]
        last = _LAST[(i // len(_FIRST) + 7 * i) % len(_LAST)]
        people.append(
            {
                "id": f"P{i + 1:03d}",
                "pseudonym": f"{first} {last}" if i >= len(_FIRST) else first,
                "organisation": orgs[i % n_orgs]["id"],
                "role": "Manager",
            }
        )
    return orgs, people


_RESEARCHERS = [
    {"id": "R1", "pseudonym": "Kim", "role": "Interviewer", "aliases": ["Interviewer"]},
    {"id": "R2", "pseudonym": "Noah", "role": "Moderator", "aliases": ["Moderator"]},
]
_CYCLES = [
    {
        "id": 1,
        "focus": "Problem understanding",
        "start": dt.date(2026, 1, 5),
        "end": dt.date(2026, 3, 31),
    },
    {"id": 2, "focus": "First artifact", "start": dt.date(2026, 4, 1), "end": dt.date(2026, 6, 30)},
    {"id": 3, "focus": "Evaluation", "start": dt.date(2026, 7, 1), "end": dt.date(2026, 10, 31)},
]


def _speakers(
    n_turns: int,
    focus_group: bool,
    participant: int,
    n_participants: int,
    rng: np.random.Generator,
) -> list[int]:
    """Speaker of each turn: -1 the researcher, else a participant index; no repeats."""
    if not focus_group:
        return [-1 if t % 2 == 0 else participant for t in range(n_turns)]
    size = min(n_participants, int(rng.integers(3, 7)))
    group = rng.choice(n_participants, size=size, replace=False).tolist()
    out = [-1]
    for t in range(1, n_turns):
        if t % 4 == 0:
            choice = -1
        else:
            choice = int(rng.choice(group))
            while choice == out[-1]:
                choice = int(rng.choice(group))
        out.append(choice)
    return out


# --------------------------------------------------------------------------- the study


def codebook_dict(n_codes: int, keywords: Sequence[str]) -> dict[str, Any]:
    """A codebook (``data/codebook.yaml`` as a dict): Gioia levels, one keyword rule a code.

    About 1 in 30 codes is a dimension, 1 in 6 a theme (children of the dimensions), the rest
    concepts (children of the themes); code ``i`` gets the keyword ``keywords[i]``.

    Examples
    --------
    >>> book = codebook_dict(12, [f"w{i}" for i in range(12)])
    >>> [c["level"] for c in book["codes"][:3]], book["codes"][5]["rules"]
    (['dimension', 'theme', 'theme'], {'keywords': ['w5']})
    """
    n_dim = max(1, n_codes // 30)
    n_theme = max(1, n_codes // 6) if n_codes > n_dim + 1 else 0
    codes = []
    for i in range(n_codes):
        if i < n_dim:
            level, parent = "dimension", None
        elif i < n_dim + n_theme:
            level, parent = "theme", f"K{(i - n_dim) % n_dim + 1:03d}"
        else:
            level = "concept"
            parent = f"K{n_dim + (i - n_dim - n_theme) % max(n_theme, 1) + 1:03d}"
            if n_theme == 0:
                parent = "K001"
        code: dict[str, Any] = {"id": f"K{i + 1:03d}", "name": f"Code {i + 1}", "level": level}
        if parent is not None:
            code["parent"] = parent
        code["definition"] = f"Synthetic {level} number {i + 1}."
        if i < len(keywords):
            code["rules"] = {"keywords": [keywords[i]]}
        codes.append(code)
    return {"title": "Synthetic codebook", "version": 1, "codes": codes}


def generate_study(root: str | Path, spec: StudySpec, *, reuse: bool = True) -> GeneratedStudy:
    """Write a synthetic study folder (see the module docstring) and describe it.

    Parameters
    ----------
    root
        The study folder; created (emptied first unless ``reuse`` finds the same spec there).
    spec
        What to generate.
    reuse
        Keep an existing folder generated from the same spec (its ``.spec.json`` matches).

    Examples
    --------
    >>> import tempfile
    >>> from dsr_workbench.corpus.read import load_corpus
    >>> from dsr_workbench.corpus.study import load_study
    >>> spec = StudySpec(n_transcripts=3, turns_per_transcript=6, n_participants=4,
    ...                  n_codes=12, codings_per_coder=10)
    >>> study = generate_study(tempfile.mkdtemp(), spec)
    >>> transcripts, turns = load_corpus(load_study(study.study_yaml))
    >>> len(transcripts), len(turns) == study.n_turns
    (3, True)
    """
    root = Path(root)
    marker = root / ".spec.json"
    if reuse and marker.is_file():
        saved = json.loads(marker.read_text())
        if saved.get("digest") == spec.digest():
            return GeneratedStudy(
                root,
                spec,
                saved["n_turns"],
                saved["text_bytes"],
                saved["file_bytes"],
                tuple(saved["keywords"]),
            )
    if root.exists():
        shutil.rmtree(root)
    (root / "interviews").mkdir(parents=True)
    rng = np.random.default_rng(spec.seed)
    vocab = vocabulary(spec.n_codes, seed=spec.seed)
    orgs, people = _cast(spec)
    labels = [p["pseudonym"] for p in people]

    # every turn of every transcript, sampled in one go
    plan = []
    for i in range(spec.n_transcripts):
        fg = spec.focus_group_every > 0 and i % spec.focus_group_every == spec.focus_group_every - 1
        n_turns = max(2, int(rng.poisson(spec.turns_per_transcript)))
        plan.append((fg, _speakers(n_turns, fg, i % spec.n_participants, spec.n_participants, rng)))
    who = np.concatenate([np.asarray(s, dtype=np.int64) for _, s in plan])
    mean = np.where(who < 0, spec.words_per_turn / 4, spec.words_per_turn)
    lengths = np.maximum(2, rng.lognormal(np.log(mean) - 0.18, 0.6)).astype(np.int64)
    texts = sentences(vocab, lengths, rng)

    transcripts_yaml = []
    transcript_rows = []  # (transcript_id, normalised text, turn offsets)
    pos = 0
    file_bytes = 0
    for i, (fg, speakers) in enumerate(plan):
        tid = f"T{i + 1:05d}"
        suffix, variant = spec.formats[i % len(spec.formats)]
        names = [
            _RESEARCHERS[1 if fg else 0]["pseudonym"] if s < 0 else labels[s] for s in speakers
        ]
        own = texts[pos : pos + len(speakers)]
        pos += len(speakers)
        t = 0.0
        turns = []
        for name, text in zip(names, own, strict=True):
            dur = 0.4 * (text.count(" ") + 1)
            turns.append({"speaker": name, "text": text, "t_start": t, "t_end": t + dur})
            t += dur + 1.0
        path = root / "interviews" / f"{tid}.{suffix}"
        write_transcript(turns, path, variant=variant)
        file_bytes += path.stat().st_size
        cycle = _CYCLES[min(2, i * 3 // max(spec.n_transcripts, 1))]
        span = (cycle["end"] - cycle["start"]).days
        transcripts_yaml.append(
            {
                "id": tid,
                "file": f"interviews/{tid}.{suffix}",
                "kind": "focus_group" if fg else "interview",
                "date": cycle["start"] + dt.timedelta(days=(i * 7) % span),
                "cycle": cycle["id"],
            }
        )
        normalised, offsets = render(
            [Utterance(n, x, k + 1) for k, (n, x) in enumerate(zip(names, own, strict=True))]
        )
        transcript_rows.append((tid, normalised, offsets, speakers))

    study = {
        "study": {
            "id": f"synthetic-{spec.digest()}",
            "title": "Synthetic benchmark study",
            "synthetic": True,
        },
        "paths": {"interviews": "interviews", "data": "data", "reports": "reports"},
        "organisations": orgs,
        "participants": people,
        "researchers": _RESEARCHERS,
        "cycles": _CYCLES,
        "transcripts": transcripts_yaml,
    }
    (root / "study.yaml").write_text(
        "# Generated by benchmarks/generate.py: synthetic, seeded; do not edit.\n"
        + yaml.safe_dump(study, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    data = root / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text(
        yaml.safe_dump(
            codebook_dict(spec.n_codes, vocab.keywords),
            sort_keys=False,
            allow_unicode=True,
            width=100,
        ),
        encoding="utf-8",
    )
    write_survey(make_survey(spec.n_relationships, seed=spec.seed + 1), data / "survey")
    turns = _turns_of(transcript_rows)
    if spec.codings_per_coder > 0 and spec.n_coders > 0:
        texts_by_id = {tid: text for tid, text, _, _ in transcript_rows}
        codings = make_codings(
            turns,
            spec.codings_per_coder,
            [f"K{k + 1:03d}" for k in range(spec.n_codes)],
            n_coders=spec.n_coders,
            agreement=spec.agreement,
            texts=texts_by_id,
            seed=spec.seed + 2,
        )
        write_coding_logs(data / "codings", codings, texts_by_id, seed=spec.seed + 3)
    text_bytes = int(sum(len(x.encode("utf-8")) for x in texts))
    result = GeneratedStudy(root, spec, len(texts), text_bytes, file_bytes, vocab.keywords)
    marker.write_text(
        json.dumps(
            {
                "digest": spec.digest(),
                "spec": asdict(spec),
                "n_turns": result.n_turns,
                "text_bytes": text_bytes,
                "file_bytes": file_bytes,
                "keywords": list(vocab.keywords),
            },
            indent=1,
        )
    )
    return result


def _turns_of(rows: Iterable[tuple[str, str, pd.DataFrame, list[int]]]) -> pd.DataFrame:
    frames = []
    for tid, _, offsets, speakers in rows:
        frame = offsets[["turn", "start", "end", "text"]].copy()
        frame.insert(0, "transcript_id", tid)
        frame["perspective"] = np.where(np.asarray(speakers) < 0, "researcher", "participant")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
