"""Planning a build: the reports of ``study.yaml``, their parameters, inputs and keys.

Everything here is checked before any notebook runs: the notebook exists and has a cell
tagged ``parameters`` that declares ``study_path``, ``cycle``, ``output_dir`` and every
configured parameter with a matching type (unlike plain papermill, an unknown name or a wrong
type is an error). A job's **key** is the SHA-256 of the notebook's code cells, its
parameters, the SHA-256 of every input file, the library's source and the environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from dsr_workbench import __version__
from dsr_workbench.build.outputs import (
    HashCache,
    tree_files,
)
from dsr_workbench.core.errors import StudyError
from dsr_workbench.corpus.study import Study

__all__ = [
    "DEFAULT_INPUTS",
    "DEFAULT_TIMEOUT_MINUTES",
    "INJECTED",
    "Job",
    "report_specs",
    "code_cells",
    "environment",
    "job_key",
    "library_hash",
    "plan",
    "timeout_minutes",
]


DEFAULT_INPUTS = ("study.yaml", "{interviews}", "{data}")
INJECTED = ("study_path", "cycle", "output_dir")
DEFAULT_TIMEOUT_MINUTES = 20.0
"""How long one cell of a report may run, unless ``study.yaml`` says otherwise
(``build: {timeout_minutes: N}`` for every report, ``timeout_minutes: N`` for one)."""
_REPORT_KEYS = {
    "notebook",
    "title",
    "cycles",
    "parameters",
    "inputs",
    "present",
    "description",
    "outputs",
    "max_size_mb",
    "timeout_minutes",
}
_OUTPUT_KINDS = ("tables", "figures")
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
    "tuple": (list, tuple),
}
_SELF = Path(__file__).resolve().parents[1]


@dataclass
class Job:
    """One (cycle, report) to build. ``key`` is filled in by :func:`plan`."""

    cycle: int
    report: str
    title: str
    notebook: str
    parameters: dict[str, Any]
    inputs: dict[str, str]
    present: bool
    study_root: str
    reports_dir: str
    key: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    timeout_minutes: float | None = DEFAULT_TIMEOUT_MINUTES
    """How long one cell may run before the job fails as timed out (not part of the key:
    it does not change what a notebook computes)."""
    components: dict[str, str] = field(default_factory=dict)
    """SHA-256 of the key's other parts (notebook code cells, library source), so that a
    report can say *what* changed between two versions."""
    with_code: bool = False
    """``dsr build --with-code``: the page shows code from the start (part of the key)."""
    expected_outputs: dict[str, list[str]] = field(default_factory=dict)
    """``outputs:`` of the report: ``{"tables": [...], "figures": [...]}`` it must save."""
    max_size_mb: float | None = None
    """The version's size limit (``None``: :data:`dsr_workbench.build.pages` default)."""

    @property
    def report_dir(self) -> Path:
        """``reports/cycle-<N>/<report>``."""
        return Path(self.reports_dir) / f"cycle-{self.cycle}" / self.report

    @property
    def failure_dir(self) -> Path:
        """Where the last failed run of this job is kept (``reports/.build/failures/...``)."""
        return Path(self.reports_dir) / ".build" / "failures" / f"cycle-{self.cycle}-{self.report}"


def environment() -> dict[str, str]:
    """Return Python's version and the versions of the installed dependencies.

    Examples
    --------
    >>> env = environment()
    >>> "python" in env and "pandas" in env and "dsr-workbench" in env
    True
    """
    env = {"python": platform.python_version(), "dsr-workbench": __version__}
    try:
        requires = metadata.requires("dsr-workbench") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        requires = []
    names = {
        r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip()
        for r in requires
        if "extra ==" not in r
    }
    for name in sorted(names | {"ipykernel", "nbclient", "jupyter_client"}):
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = "missing"
    return env


def library_hash() -> str:
    """SHA-256 over the source of the ``dsr_workbench`` package (every ``.py`` file)."""
    digest = hashlib.sha256()
    for file in sorted(_SELF.rglob("*.py")):
        digest.update(file.relative_to(_SELF).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _load_cells(notebook: Path) -> list[dict[str, Any]]:
    """The cells of a notebook file, each with its ``source`` as one string.

    Read as plain JSON: importing nbformat (and jsonschema with it) costs about a second,
    which a no-op build must not pay.
    """
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (ValueError, AttributeError) as exc:
        raise StudyError(
            f"not a readable notebook ({exc.__class__.__name__})",
            path=notebook,
            hint="open and save it in JupyterLab",
        ) from None
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells


def code_cells(notebook: Path) -> list[str]:
    """Return the sources of a notebook's code cells (what its key depends on)."""
    return [c.get("source", "") for c in _load_cells(notebook) if c.get("cell_type") == "code"]


def notebook_parameters(source: str) -> dict[str, dict[str, Any]]:
    """The parameters a ``parameters`` cell declares: top-level ``name = value`` lines.

    Returns ``{name: {"default": source text, "type": type name}}``; the type is the
    annotation if there is one (``n: int = 3``), else the type of the literal default, else
    ``"None"`` (anything goes). Parsed with :mod:`ast`, as papermill's inspection does, but
    without importing papermill (a no-op build must stay fast).

    Examples
    --------
    >>> notebook_parameters("cycle = 1\\nlabel: str = None\\nopts = dict(a=1)\\nx = None")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'cycle': {'default': '1', 'type': 'int'}, 'label': {'default': 'None', 'type': 'str'},
     'opts': {'default': 'dict(a=1)', 'type': 'None'}, 'x': {'default': 'None', 'type': 'None'}}
    """
    import ast

    declared: dict[str, dict[str, Any]] = {}
    for node in ast.parse(source).body:
        target: ast.expr
        value: ast.expr | None
        annotation: ast.expr | None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value, annotation = node.targets[0], node.value, None
        elif isinstance(node, ast.AnnAssign):
            target, value, annotation = node.target, node.value, node.annotation
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        type_name = "None" if annotation is None else ast.unparse(annotation)
        if annotation is None and value is not None:
            try:
                default = ast.literal_eval(value)
            except ValueError:
                default = None
            type_name = "None" if default is None else type(default).__name__
        declared[target.id] = {
            "default": "None" if value is None else ast.unparse(value),
            "type": type_name,
        }
    return declared


def _read_notebook(notebook: Path, where: str, study: Study) -> tuple[list[str], dict[str, Any]]:
    """Read a notebook once: its code cells and the parameters its parameters cell declares."""
    raw = _load_cells(notebook)
    cells = [c.get("source", "") for c in raw if c.get("cell_type") == "code"]
    tagged = [c for c in raw if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise StudyError(
            f"notebook '{notebook.name}' has no cell tagged 'parameters'",
            path=study.path,
            line=study.lines.get(where),
            key=where,
            hint="tag the notebook's first code cell 'parameters' (View > Cell toolbar > Tags)",
        )
    try:
        declared = notebook_parameters(tagged[0].get("source", ""))
    except SyntaxError as exc:
        raise StudyError(
            f"the parameters cell of '{notebook.name}' is not valid Python: {exc.msg} "
            f"(line {exc.lineno} of the cell)",
            path=study.path,
            line=study.lines.get(where),
            key=where,
            hint="fix the parameters cell",
        ) from None
    return cells, declared


def _check_parameters(
    values: dict[str, Any],
    declared: dict[str, dict[str, Any]],
    notebook: Path,
    where: str,
    study: Study,
) -> None:
    for name, value in values.items():
        if name not in declared:
            raise StudyError(
                f"parameter '{name}' is not declared in {notebook.name}'s parameters cell",
                path=study.path,
                line=study.lines.get(f"{where}.{name}"),
                key=f"{where}.{name}",
                hint="declared: " + ", ".join(sorted(declared)) + "; fix the name or add it "
                "to the parameters cell",
            )
        type_name = str(declared[name]["type"])
        expected = _TYPES.get(type_name.split("[")[0].strip())
        if expected is None or value is None:
            continue  # default None / untyped: anything goes
        bad = not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)
        if bad:
            raise StudyError(
                f"parameter '{name}' should be {type_name} (as in {notebook.name}), "
                f"got {type(value).__name__} {value!r}",
                path=study.path,
                line=study.lines.get(f"{where}.{name}"),
                key=f"{where}.{name}",
                hint=f"give a {type_name} value",
            )


def _minutes(value: Any, study: Study, key: str) -> float:
    """A validated ``timeout_minutes`` value: a number greater than 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise StudyError(
            f"timeout_minutes must be a number of minutes greater than 0, got {value!r}",
            path=study.path,
            line=study.lines.get(key),
            key=key,
            hint="write e.g. 'timeout_minutes: 20' (how long one cell may run)",
        )
    if value > 7 * 24 * 60:
        raise StudyError(
            f"timeout_minutes {value:g} is more than a week",
            path=study.path,
            line=study.lines.get(key),
            key=key,
            hint="give at most 10080 minutes",
        )
    return float(value)


def timeout_minutes(study: Study, report: str | None = None) -> float:
    """How long one cell of ``report`` (or of any report) may run, in minutes.

    The report's ``timeout_minutes``, else ``build: {timeout_minutes: ...}``, else
    :data:`DEFAULT_TIMEOUT_MINUTES`; each validated (a number > 0, at most a week).

    Raises
    ------
    StudyError
        For a value that is not a positive number, with the line of ``study.yaml``.
    """
    settings = study.raw.get("build") or {}
    default = DEFAULT_TIMEOUT_MINUTES
    if isinstance(settings, dict) and settings.get("timeout_minutes") is not None:
        default = _minutes(settings["timeout_minutes"], study, "build.timeout_minutes")
    if report is None:
        return default
    spec = (study.raw.get("reports") or {}).get(report) or {}
    if isinstance(spec, dict) and spec.get("timeout_minutes") is not None:
        return _minutes(spec["timeout_minutes"], study, f"reports.{report}.timeout_minutes")
    return default


def report_specs(study: Study) -> dict[str, dict[str, Any]]:
    """Return the validated ``reports`` section of ``study.yaml``."""
    raw = study.raw.get("reports") or {}
    if not isinstance(raw, dict):
        raise StudyError(
            "'reports' must map report names to their settings",
            path=study.path,
            line=study.lines.get("reports"),
            key="reports",
            hint="write 'reports:' then 'name: {notebook: ...}' entries",
        )
    cycles = set(study.cycles.cycle)
    out = {}
    for name, spec in raw.items():
        where = f"reports.{name}"
        line = study.lines.get(where)
        if not isinstance(spec, dict) or "notebook" not in spec:
            raise StudyError(
                f"report '{name}' needs a 'notebook'",
                path=study.path,
                line=line,
                key=where,
                hint="add 'notebook: notebooks/NAME.ipynb'",
            )
        unknown = set(spec) - _REPORT_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise StudyError(
                f"unknown key '{key}'",
                path=study.path,
                line=study.lines.get(f"{where}.{key}"),
                key=f"{where}.{key}",
                hint="allowed: " + ", ".join(sorted(_REPORT_KEYS)),
            )
        wanted = spec.get("cycles") or sorted(cycles)
        for c in wanted:
            if c not in cycles:
                raise StudyError(
                    f"unknown cycle '{c}'",
                    path=study.path,
                    line=study.lines.get(f"{where}.cycles"),
                    key=f"{where}.cycles",
                    hint="use ids from 'cycles': " + ", ".join(map(str, cycles)),
                )
        params = spec.get("parameters") or {}
        clash = set(params) & set(INJECTED)
        if clash:
            raise StudyError(
                f"parameter '{sorted(clash)[0]}' is set by the build",
                path=study.path,
                line=line,
                key=f"{where}.parameters",
                hint="remove it from the report's parameters",
            )
        out[str(name)] = {
            **spec,
            "cycles": list(wanted),
            "parameters": dict(params),
            "outputs": _expected_outputs(spec.get("outputs"), where, study),
            "max_size_mb": _size_limit(spec.get("max_size_mb"), where, study),
            "timeout_minutes": timeout_minutes(study, name),
        }
    return out


def _expected_outputs(raw: Any, where: str, study: Study) -> dict[str, list[str]]:
    """Validate a report's ``outputs: {tables: [...], figures: [...]}``."""
    import re

    if raw is None:
        return {}
    key = f"{where}.outputs"
    if not isinstance(raw, dict) or set(raw) - set(_OUTPUT_KINDS):
        bad = sorted(set(raw) - set(_OUTPUT_KINDS))[0] if isinstance(raw, dict) else None
        raise StudyError(
            f"unknown kind of output '{bad}'" if bad else "'outputs' must be a mapping",
            path=study.path,
            line=study.lines.get(key),
            key=key,
            hint="write 'outputs: {tables: [name, ...], figures: [name, ...]}'",
        )
    out: dict[str, list[str]] = {}
    for kind, names in raw.items():
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not all(
            isinstance(n, str) and re.fullmatch(r"[\w.-]+", n) for n in names
        ):
            raise StudyError(
                f"'{kind}' must list output names (letters, digits, '-', '_', '.')",
                path=study.path,
                line=study.lines.get(f"{key}.{kind}"),
                key=f"{key}.{kind}",
                hint=f"e.g. {kind}: [relationship_gap]",
            )
        out[str(kind)] = list(dict.fromkeys(names))
    return out


def _size_limit(raw: Any, where: str, study: Study) -> float | None:
    """Validate a report's ``max_size_mb`` (a positive number of megabytes)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not raw > 0:
        raise StudyError(
            f"max_size_mb must be a positive number of megabytes, got {raw!r}",
            path=study.path,
            line=study.lines.get(f"{where}.max_size_mb"),
            key=f"{where}.max_size_mb",
            hint="e.g. max_size_mb: 40",
        )
    return float(raw)


def _input_files(study: Study, patterns: Iterable[str]) -> list[Path]:
    expanded = []
    for pattern in patterns:
        pattern = str(pattern).format(
            interviews=os.path.relpath(study.paths["interviews"], study.root),
            data=os.path.relpath(study.paths["data"], study.root),
        )
        expanded.append(pattern)
    return tree_files(study.root, expanded)


def job_key(job: Job, cells: list[str], lib: str) -> str:
    """Return the SHA-256 that identifies a job's inputs + code + environment."""
    payload: dict[str, Any] = {
        "cells": cells,
        "parameters": {k: v for k, v in job.parameters.items() if k != "output_dir"},
        "inputs": job.inputs,
        "library": lib,
        "environment": job.environment,
    }
    if job.with_code:  # only when set, so that a page without code keeps its key
        payload["with_code"] = True
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def plan(
    study: Study,
    *,
    cycles: Iterable[int] | None = None,
    reports: Iterable[str] | None = None,
    with_code: bool = False,
) -> list[Job]:
    """Return the jobs of a build, each with its key, validating everything first.

    ``with_code``: pages show the code from the start (``dsr build --with-code``); such a
    build has other keys, so it is never taken for a build without code, nor the reverse.

    Raises
    ------
    StudyError
        For an report whose notebook is missing or has no ``parameters`` cell, a parameter
        the notebook does not declare or of the wrong type, an unknown cycle or report.
    """
    specs = report_specs(study)
    if reports is not None:
        names = list(reports)
        for name in names:
            if name not in specs:
                raise StudyError(
                    f"no report named '{name}'",
                    path=study.path,
                    key="reports",
                    hint="reports: " + ", ".join(sorted(specs)),
                )
        specs = {k: v for k, v in specs.items() if k in names}
    wanted_cycles = None if cycles is None else set(cycles)
    if wanted_cycles is not None and not wanted_cycles <= set(study.cycles.cycle):
        bad = sorted(wanted_cycles - set(study.cycles.cycle))[0]
        raise StudyError(
            f"no cycle {bad}",
            path=study.path,
            key="cycles",
            hint="cycles: " + ", ".join(map(str, study.cycles.cycle)),
        )
    cache = HashCache(study.reports_dir / ".build" / "hashes.json")
    env = environment()
    lib = library_hash()
    jobs = []
    for name, spec in specs.items():
        where = f"reports.{name}.notebook"
        notebook = (study.root / str(spec["notebook"])).resolve()
        if not notebook.is_file():
            raise StudyError(
                f"notebook '{spec['notebook']}' does not exist",
                path=study.path,
                line=study.lines.get(where),
                key=where,
                hint="fix the path (relative to study.yaml) or add the notebook",
            )
        cells, declared = _read_notebook(notebook, where, study)
        _check_parameters(
            spec["parameters"], declared, notebook, f"reports.{name}.parameters", study
        )
        missing = [p for p in INJECTED if p not in declared]
        if missing:
            raise StudyError(
                f"notebook '{spec['notebook']}' does not declare '{missing[0]}'",
                path=study.path,
                line=study.lines.get(where),
                key=where,
                hint="its parameters cell must define study_path, cycle and output_dir",
            )
        files = _input_files(study, spec.get("inputs") or DEFAULT_INPUTS)
        inputs = {f.relative_to(study.root).as_posix(): cache.sha256(f) for f in files}
        for cycle in spec["cycles"]:
            if wanted_cycles is not None and cycle not in wanted_cycles:
                continue
            job = Job(
                cycle=int(cycle),
                report=name,
                title=str(spec.get("title") or name),
                notebook=str(notebook),
                parameters={  # relative to the study root, where the kernel runs
                    "study_path": study.path.name,
                    "cycle": int(cycle),
                    **spec["parameters"],
                },
                inputs=inputs,
                present=bool(spec.get("present", False)),
                study_root=str(study.root),
                reports_dir=str(study.reports_dir),
                environment=env,
                with_code=with_code,
                expected_outputs=spec["outputs"],
                max_size_mb=spec["max_size_mb"],
                timeout_minutes=spec["timeout_minutes"],
            )
            job.key = job_key(job, cells, lib)
            job.components = {
                "notebook": hashlib.sha256(json.dumps(cells).encode()).hexdigest(),
                "library": lib,
            }
            jobs.append(job)
    cache.save()
    return sorted(jobs, key=lambda j: (j.cycle, j.report))
