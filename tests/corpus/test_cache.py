"""Tests of dsr_workbench.corpus.cache: the corpus cache behind ``load_corpus``.

The cached, uncached and pre-cache (``tests/corpus/_old_read.py``) reads give the same tables
and warnings; only changed files are parsed again; a damaged, unreadable or unwritable cache
is only slower; concurrent loaders leave whole packs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as pa_ipc
import pytest

from dsr_workbench.build.outputs import tree_files
from dsr_workbench.corpus import cache as corpus_cache
from dsr_workbench.corpus import read as corpus_read
from dsr_workbench.corpus.notation import fold_label
from dsr_workbench.corpus.read import load_corpus, read_transcript
from dsr_workbench.corpus.study import Study, load_study
from tests.conftest import DATA, ROOT
from tests.corpus._old_read import old_load_corpus

FIXTURES = DATA / "transcripts"
UNREADABLE = {"f4_cp1252.txt", "README.md"}  # not UTF-8 (an error by design); not a transcript


def _fixture_study(folder: Path) -> Path:
    """A study of every readable fixture transcript, one participant per distinct label; the
    first label of each file is mapped by the transcript's own ``speakers:`` map."""
    shutil.copytree(FIXTURES, folder / "interviews")
    people: dict[str, str] = {}  # folded label -> id
    entries = []
    for number, file in enumerate(sorted((folder / "interviews").iterdir()), start=1):
        if file.name in UNREADABLE:
            continue
        labels = list(dict.fromkeys(read_transcript(file).speaker))
        for label in labels[1:]:
            people.setdefault(fold_label(label), f"P{len(people) + 1}")
        first = labels[0].replace("'", "''")
        entries.append(
            f"  - {{id: T{number:02d}, file: interviews/{file.name}, kind: interview, "
            f"date: 2026-01-10, cycle: 1, speakers: {{'{first}': R1}}}}"
        )
    participants = [
        f"  - {{id: {pid}, pseudonym: '{label.replace(chr(39), chr(39) * 2)}', "
        f"organisation: ACME, role: Staff}}"
        for label, pid in people.items()
    ]
    study = folder / "study.yaml"
    study.write_text(
        "study: {id: fixtures, title: Every fixture transcript}\n"
        "organisations:\n  - {id: ACME, pseudonym: Acme, perspective: client}\n"
        "participants:\n" + "\n".join(participants) + "\n"
        "researchers:\n  - {id: R1, pseudonym: Rae, role: Interviewer}\n"
        "cycles:\n  - {id: 1, focus: All, start: 2026-01-01, end: 2026-03-31}\n"
        "transcripts:\n" + "\n".join(entries) + "\n",
        encoding="utf-8",
    )
    return study


@pytest.fixture
def fixtures(tmp_path: Path) -> Study:
    return load_study(_fixture_study(tmp_path / "fixtures"))


@pytest.fixture
def example(tmp_path: Path) -> Study:
    """A copy of the example study (its transcripts and study.yaml)."""
    target = tmp_path / "example"
    target.mkdir()
    shutil.copy(ROOT / "study.yaml", target / "study.yaml")
    shutil.copytree(ROOT / "interviews", target / "interviews")
    return load_study(target / "study.yaml")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files ``load_corpus`` parses (not served from the cache)."""
    seen: list[str] = []
    real = corpus_read.read_file

    def counting(path: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(corpus_read, "read_file", counting)
    return seen


def _load(study: Study, **kwargs: Any) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transcripts, turns = load_corpus(study, **kwargs)
    return transcripts, turns, [(w.category, str(w.message)) for w in caught]


def _same(a: tuple, b: tuple) -> None:
    for left, right in zip(a[:2], b[:2], strict=True):
        pd.testing.assert_frame_equal(left, right, check_exact=True)
        assert list(left.dtypes) == list(right.dtypes)
        assert list(left.columns) == list(right.columns)
    assert a[2] == b[2]  # the same warnings, in the same order


def _packs(study: Study) -> list[Path]:
    return corpus_cache.CorpusCache.for_study(study.root).packs()


def _old(study: Study) -> tuple:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transcripts, turns = old_load_corpus(study)
    return transcripts, turns, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("which", ["fixtures", "example"])
def test_cached_uncached_and_old_reads_are_the_same(which, request, parses) -> None:
    study = request.getfixturevalue(which)
    old = _old(study)
    n = len(study.transcripts)
    parses.clear()
    uncached = _load(study, cache=False)
    assert len(parses) == n and _packs(study) == []  # cache=False writes nothing
    cold = _load(study)
    assert len(parses) == 2 * n and len(_packs(study)) == 1
    warm = _load(study)
    assert len(parses) == 2 * n  # nothing parsed
    for other in (uncached, cold, warm):
        _same(other, old)
    if which == "fixtures":  # mixed.txt mixes label styles: reported also from the cache
        assert any("carry a label of another style" in message for _, message in warm[2])
        assert old[1]["speaker_note"].notna().any()  # Zoom's "Name (Org):" labels


def test_only_a_changed_file_is_parsed_again(fixtures: Study, parses) -> None:
    load_corpus(fixtures)
    colon = fixtures.root / "interviews" / "colon.txt"
    colon.write_text(colon.read_text(encoding="utf-8") + "Kim: One more thing.\n", "utf-8")
    parses.clear()
    after = _load(fixtures)
    assert parses == ["colon.txt"]
    _same(after, _load(fixtures, cache=False))
    texts = after[0].set_index("transcript_id").text
    assert texts[after[0].transcript_id[after[0].path.str.endswith("colon.txt")].iloc[0]].endswith(
        "Kim: One more thing.\n"
    )
    assert len(_packs(fixtures)) == 1  # the new pack replaced the old


def test_an_edit_back_and_forth_rebuilds_and_a_warm_read_parses_nothing(
    fixtures: Study, parses
) -> None:
    path = fixtures.root / "interviews" / "at.txt"
    original = path.read_bytes()
    first = _load(fixtures)
    path.write_bytes(original.replace(b"@Kim", b"@Ana", 1))
    edited = _load(fixtures)
    path.write_bytes(original)
    parses.clear()
    back = _load(fixtures)
    assert parses == ["at.txt"]  # the pack holds the corpus as last loaded
    _same(back, first)
    assert not edited[0].text.equals(first[0].text)
    parses.clear()
    _same(_load(fixtures), first)
    assert parses == []


def _damage(study: Study, how: Callable[[Path], None]) -> None:
    (pack,) = _packs(study)
    how(pack)


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(
            lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), id="truncated"
        ),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-1]), id="last-byte-missing"),
        pytest.param(lambda p: p.write_bytes(os.urandom(p.stat().st_size)), id="garbage"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.unlink(), id="missing"),
    ],
)
def test_a_damaged_pack_is_ignored(fixtures: Study, parses, how) -> None:
    expected = _load(fixtures)
    _damage(fixtures, how)
    parses.clear()
    _same(_load(fixtures), expected)
    assert len(parses) == len(fixtures.transcripts)  # every file parsed again
    (pack,) = _packs(fixtures)  # and a whole pack written
    parses.clear()
    _same(_load(fixtures), expected)
    assert parses == []


def _named(folder: Path, data: bytes) -> Path:
    """Write ``data`` under its own digest, so that only its content can refuse it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{corpus_cache._digest(data)}.arrow"
    path.write_bytes(data)
    return path


def _stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa_ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_a_corrupt_pack_with_a_matching_digest_is_ignored(fixtures: Study, parses) -> None:
    expected = _load(fixtures, cache=False)
    folder = fixtures.root / corpus_cache.CACHE_DIR
    good = corpus_cache._open_pack  # a valid pack, tampered with in ways the digest cannot see
    load_corpus(fixtures)
    (pack,) = _packs(fixtures)
    table = pa_ipc.open_stream(pack.read_bytes()).read_all()
    meta = dict(table.schema.metadata)
    pack.unlink()
    wrong_reader = table.replace_schema_metadata({**meta, b"reader": b"0+old"})
    wrong_schema = table.drop_columns(["speaker_note"])
    listed = json.loads(meta[b"entries"])
    listed[0][4] += 1
    wrong_counts = table.replace_schema_metadata({**meta, b"entries": json.dumps(listed).encode()})
    not_json = table.replace_schema_metadata({**meta, b"entries": b"[["})
    for bad in (wrong_reader, wrong_schema, wrong_counts, not_json):
        _named(folder, _stream(bad))
    _named(folder, b"ARROW1" + os.urandom(200))
    assert all(good(p) is None for p in _packs(fixtures))
    parses.clear()
    _same(_load(fixtures), expected)
    assert len(parses) == len(fixtures.transcripts)
    assert len(_packs(fixtures)) == 1 and good(_packs(fixtures)[0]) is not None


def test_an_unwritable_cache_is_only_slower(fixtures: Study, parses, monkeypatch) -> None:
    expected = _load(fixtures, cache=False)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # as core.atomic makes its temp file
    parses.clear()
    _same(_load(fixtures), expected)
    _same(_load(fixtures), expected)
    assert len(parses) == 2 * len(fixtures.transcripts) and _packs(fixtures) == []
    assert not any(p.name.endswith(".tmp") for p in fixtures.root.rglob("*"))


def test_a_cache_folder_that_cannot_be_made_is_only_slower(fixtures: Study, parses) -> None:
    (fixtures.root / ".dsr-cache").write_text("a file where the folder would be")
    expected = _load(fixtures, cache=False)
    _same(_load(fixtures), expected)
    _same(_load(fixtures), expected)
    assert len(parses) == 3 * len(fixtures.transcripts)


def test_an_unreadable_cache_is_only_slower(fixtures: Study, parses, monkeypatch) -> None:
    expected = _load(fixtures)

    def refuse(path: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(corpus_cache.os, "listdir", refuse)
    parses.clear()
    _same(_load(fixtures), expected)
    assert len(parses) == len(fixtures.transcripts)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_cache_folder_is_used_but_not_written(fixtures: Study, parses) -> None:
    expected = _load(fixtures)
    folder = fixtures.root / corpus_cache.CACHE_DIR
    folder.chmod(0o500)
    try:
        colon = fixtures.root / "interviews" / "colon.txt"
        colon.write_text(colon.read_text(encoding="utf-8") + "Kim: And?\n", "utf-8")
        parses.clear()
        after = _load(fixtures)
        assert parses == ["colon.txt"]
        _same(after, _load(fixtures, cache=False))
    finally:
        folder.chmod(0o700)
    assert len(_packs(fixtures)) == 1 and expected[0].shape == after[0].shape


@pytest.fixture
def new_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield
    corpus_cache.reader_version.cache_clear()


def test_another_reader_version_invalidates_every_entry(
    fixtures: Study, parses, monkeypatch, new_reader
) -> None:
    expected = _load(fixtures)
    monkeypatch.setattr(corpus_cache, "READER_VERSION", "999")
    corpus_cache.reader_version.cache_clear()
    assert corpus_cache.reader_version().startswith("999+")
    parses.clear()
    _same(_load(fixtures), expected)
    assert len(parses) == len(fixtures.transcripts)


def _with(study: Study, name: str, **values: Any) -> Study:
    table = study.transcripts.copy()
    row = table.index[table.file == f"interviews/{name}"][0]
    for key, value in values.items():
        table.at[row, key] = value
    return dataclasses.replace(study, transcripts=table)


def test_a_changed_variant_invalidates_that_file_only(fixtures: Study, parses) -> None:
    _load(fixtures)
    chosen = _with(fixtures, "mixed.txt", variant="colon")
    parses.clear()
    _same(_load(chosen), _load(chosen, cache=False))
    assert parses[0] == "mixed.txt" and len(parses) == 1 + len(fixtures.transcripts)


def test_a_changed_speakers_map_needs_no_parse_and_is_applied(fixtures: Study, parses) -> None:
    _load(fixtures)
    table = fixtures.transcripts
    row = table.index[table.file == "interviews/colon.txt"][0]
    first = next(iter(table.at[row, "speakers"]))
    mapped = fixtures.transcripts.copy()
    mapped.at[row, "speakers"] = {first: "P1"}
    remapped = dataclasses.replace(fixtures, transcripts=mapped)
    parses.clear()
    warm = _load(remapped)
    assert parses == []
    _same(warm, _load(remapped, cache=False))
    tid = table.at[row, "transcript_id"]
    turns = warm[1][warm[1].transcript_id == tid]
    assert set(turns.participant_id[turns.speaker == first]) == {"P1"}


def test_a_renamed_file_is_parsed_as_its_new_format(fixtures: Study, parses) -> None:
    _load(fixtures)
    interviews = fixtures.root / "interviews"
    shutil.copy(interviews / "colon.txt", interviews / "colon.md")
    renamed = _with(fixtures, "colon.txt", path=interviews / "colon.md", file="interviews/colon.md")
    parses.clear()
    warm = _load(renamed)
    assert parses == ["colon.md"]
    assert "md" in set(warm[0].format)
    _same(warm, _load(renamed, cache=False))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_failed_load_keeps_what_it_parsed(fixtures: Study, parses) -> None:
    from dsr_workbench.core.errors import InputError

    load_corpus(fixtures)
    broken = fixtures.root / "interviews" / "qa.txt"
    broken.write_text("no labels at all\n", encoding="utf-8")
    colon = fixtures.root / "interviews" / "colon.txt"
    colon.write_text(colon.read_text(encoding="utf-8") + "Kim: More.\n", "utf-8")
    with pytest.raises(InputError, match="qa.txt"):
        load_corpus(fixtures)
    broken.write_text("Q: Fixed?\nA: Yes.\n", encoding="utf-8")
    parses.clear()
    load_corpus(fixtures)
    assert sorted(parses) == ["qa.txt"]  # colon.txt's new parse and the others were kept


def test_the_cache_is_ignored_by_git_and_by_the_build(example: Study) -> None:
    load_corpus(example)
    folder = example.root / corpus_cache.CACHE_DIR
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert ".dsr-cache/" in (ROOT / ".gitignore").read_text().splitlines()
    inputs = tree_files(example.root, ["study.yaml", "interviews", "data", "."])
    assert inputs and not [p for p in inputs if ".dsr-cache" in p.parts]


CONCURRENT = textwrap.dedent(
    """
    import hashlib, sys
    from dsr_workbench.corpus.read import load_corpus
    from dsr_workbench.corpus.study import load_study
    study = load_study(sys.argv[1])
    versions = set(sys.argv[2:])
    for _ in range(6):
        transcripts, turns = load_corpus(study)
        texts = dict(zip(transcripts.transcript_id, transcripts.text))
        for row in transcripts.itertuples():
            assert hashlib.sha256(row.text.encode()).hexdigest() == row.sha256
        for row in turns.itertuples():
            assert texts[row.transcript_id][row.start:row.end] == row.text
        toggled = transcripts[transcripts.path.str.endswith("colon.txt")].sha256.iloc[0]
        assert toggled in versions, toggled
    print("ok")
    """
)


def test_concurrent_loaders_leave_whole_packs_and_read_whole_corpora(fixtures: Study) -> None:
    colon = fixtures.root / "interviews" / "colon.txt"
    original = colon.read_text(encoding="utf-8")
    variants = [original, original + "Kim: And one more.\n"]
    versions = []
    for text in variants:
        colon.write_text(text, encoding="utf-8")
        transcripts, _ = load_corpus(fixtures, cache=False)
        versions.append(transcripts.sha256[transcripts.path.str.endswith("colon.txt")].iloc[0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    argv = [sys.executable, "-c", CONCURRENT, str(fixtures.path), *versions]
    loaders = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    flips = 0
    while any(p.poll() is None for p in loaders):  # keep changing the file under the loaders
        tmp = colon.with_suffix(".tmp")
        tmp.write_text(variants[flips % 2], encoding="utf-8")
        os.replace(tmp, colon)
        flips += 1
    outs = [p.communicate() for p in loaders]
    assert [p.returncode for p in loaders] == [0, 0, 0], outs
    assert flips > 1
    for pack in _packs(fixtures):
        assert corpus_cache._open_pack(pack) is not None  # every pack left is whole
    colon.write_text(original, encoding="utf-8")
    _same(_load(fixtures), _load(fixtures, cache=False))


def test_a_moved_study_is_read_warm_and_its_warnings_name_the_new_paths(
    fixtures: Study, parses, tmp_path: Path
) -> None:
    _load(fixtures)
    moved = shutil.copytree(fixtures.root, tmp_path / "moved")
    study = load_study(moved / "study.yaml")
    parses.clear()
    warm = _load(study)
    assert parses == []
    _same(warm, _load(study, cache=False))
    assert warm[2] and all(str(moved) in message for _, message in warm[2])


def test_the_same_bytes_at_two_paths_warn_with_each_path(fixtures: Study, parses) -> None:
    interviews = fixtures.root / "interviews"
    shutil.copy(interviews / "mixed.txt", interviews / "mixed2.txt")
    table = fixtures.transcripts
    row = table[table.file == "interviews/mixed.txt"].copy()
    row["transcript_id"], row["file"], row["path"] = (
        "TX",
        "interviews/mixed2.txt",
        interviews / "mixed2.txt",
    )
    twice = dataclasses.replace(fixtures, transcripts=pd.concat([table, row], ignore_index=True))
    cold = _load(twice)
    parses.clear()
    warm = _load(twice)
    assert parses == []
    _same(warm, cold)
    _same(warm, _load(twice, cache=False))
    mixed = [m for _, m in warm[2] if "mixed" in m]
    assert len(mixed) == 2 and "mixed.txt" in mixed[0] and "mixed2.txt" in mixed[1]
