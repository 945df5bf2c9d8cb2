"""Report pages: figures inline, code behind a toggle, no machine paths, no CDN; bad input
(a declared output not saved, a figure that does not render, a version over its size limit)
fails naming the report and cell and leaves earlier versions alone."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from dsr_workbench.build.jobs import plan
from dsr_workbench.build.outputs import FigureError, Outputs
from dsr_workbench.build.pages import cell_label, clean_stderr, machine_paths
from dsr_workbench.build.run import build
from dsr_workbench.core.errors import StudyError
from dsr_workbench.corpus.study import load_study

NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"

REPORTS = """
reports:
  pages:
    title: Pages test
    notebook: notebooks/pages.ipynb
    inputs: [interviews]
    outputs: {tables: [gap], figures: [bars]}
"""


def _study(root: Path, extra: str = "") -> Path:
    (root / "notebooks").mkdir(exist_ok=True)
    shutil.copy(NOTEBOOKS / "pages.ipynb", root / "notebooks" / "pages.ipynb")
    path = root / "study.yaml"
    path.write_text(path.read_text(encoding="utf-8") + REPORTS + extra, encoding="utf-8")
    return root


def _build(root: Path, **kwargs):
    with warnings.catch_warnings():  # the leak check is skipped: no key in the mini study
        warnings.simplefilter("ignore")
        return build(load_study(root), jobs=1, executor="thread", progress=False, **kwargs)


def _set_mode(root: Path, mode: str) -> None:
    path = root / "study.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n    parameters: \{mode: \w+\}", "", text)
    text = text.replace(
        "    notebook: notebooks/pages.ipynb\n",
        f"    notebook: notebooks/pages.ipynb\n    parameters: {{mode: {mode}}}\n",
    )
    path.write_text(text, encoding="utf-8")


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini study with one good version of the ``pages`` report (built once)."""
    from tests.conftest import MINI_YAML, T1, T2

    root = tmp_path_factory.mktemp("pages")
    (root / "interviews").mkdir()
    (root / "interviews" / "t1.txt").write_text(T1, encoding="utf-8")
    (root / "interviews" / "t2.vtt").write_text(T2, encoding="utf-8")
    (root / "study.yaml").write_text(MINI_YAML, encoding="utf-8")
    _study(root)
    result = _build(root)
    assert result.status.tolist() == ["built"], result.error.tolist()
    return root


@pytest.fixture
def study_copy(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "study"
    shutil.copytree(built, target)
    return target


def _v(root: Path, name: str = "v001") -> Path:
    return root / "reports" / "cycle-1" / "pages" / name


@pytest.mark.slow
def test_page_shows_figures_hides_code_and_holds_no_machine_path(built: Path) -> None:
    version = _v(built)
    page = (version / "notebook.html").read_text(encoding="utf-8")
    # the figure is inline (and saved), with its caption; no "<Figure size ...>" text
    assert re.search(r'<img alt="Two bars" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page)
    assert "<figcaption>Two bars</figcaption>" in page and "<Figure size" not in page
    assert (version / "figures" / "bars.png").read_bytes()[:4] == b"\x89PNG"
    # code and parameters hidden behind a working toggle, inlined
    assert re.search(r'<body class="jp-Notebook dsr-code-hidden"', page)
    assert 'id="dsr-code-toggle"' in page and "classList.toggle('dsr-code-hidden'" in page
    assert "celltag_injected-parameters" in page  # present, hidden by the page's CSS
    assert "body.dsr-code-hidden .celltag_injected-parameters" in page
    # headings from the markdown, in a contents list
    assert "<h1>Pages test</h1>" in page
    assert re.search(r'<nav class="dsr-toc"[^>]*><ol><li><a href="#Results">Results</a>', page)
    # the warning is a short note, without the kernel's path or source line
    note = re.search(r'<div class="dsr-note" role="note">([^<]*)</div>', page)
    assert note and note.group(1) == "UserWarning: 2 dyads answered by one side only"
    assert "warnings.warn(" not in page.split("dsr-note", 1)[1].split("</div>", 1)[0]
    # the table: names beside ids, rounding, p-values, caption with n, CSV linked
    table = re.search(r'<figure class="dsr-table">.*?</figure>', page, flags=re.S).group(0)
    assert "<figcaption>Gap per code (n = 12 dyads).</figcaption>" in table
    cells = re.findall(r"<td [^>]*>([^<]*)</td>", table)
    assert cells[:5] == ["TRUST", "Trust in the partner", "0.12", "&lt; 0.001", "12"]
    assert cells[5:] == ["COMMS", "–", "-1.50", "0.512", "1,200"]
    assert '<a href="tables/gap.csv">tables/gap.csv</a>' in table
    saved = pd.DataFrame(
        {
            "code_id": ["TRUST", "COMMS"],
            "estimate": [0.123456, -1.5],
            "p_holm": [0.0000123, 0.51234],
            "n": [12, 1200],
        }
    )
    assert (version / "tables" / "gap.csv").read_text() == saved.to_csv(index=False)
    # nothing is loaded from the network
    assert not re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"(?:https?:)?//", page)
    assert "mathjax" not in page.lower() and "require.js" not in page
    # no absolute path of the build machine in any output
    machine = [str(built), str(built.resolve()), "/tmp/", "site-packages", ".tmp-"]
    for name in ("notebook.html", "notebook.ipynb", "manifest.json"):
        text = (version / name).read_text(encoding="utf-8")
        found = [m for m in machine if m in text]
        assert not found, (name, found)
    nb = nbformat.read(version / "notebook.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'study_path = "study.yaml"' in injected.source
    assert 'output_dir = "reports/cycle-1/pages/v001"' in injected.source
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "study at .\n" in printed
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["study_path"] == "study.yaml" and manifest["with_code"] is False


@pytest.mark.slow
def test_with_code_is_another_build_never_taken_for_current(study_copy: Path) -> None:
    assert _build(study_copy, with_code=True).status.tolist() == ["built"]
    page = (_v(study_copy, "v002") / "notebook.html").read_text(encoding="utf-8")
    assert re.search(r'<body class="jp-Notebook"\s', page)  # code shown from the start
    assert json.loads((_v(study_copy, "v002") / "manifest.json").read_text())["with_code"]
    assert _build(study_copy, with_code=True).status.tolist() == ["skipped"]
    assert _build(study_copy).status.tolist() == ["built"]  # without code again: v003
    assert "dsr-code-hidden" in (_v(study_copy, "v003") / "notebook.html").read_text()


@pytest.mark.slow
def test_a_declared_figure_not_saved_fails_naming_report_and_cell(study_copy: Path) -> None:
    before = _files(_v(study_copy))
    _set_mode(study_copy, "skip_figure")
    result = _build(study_copy)
    assert result.status.tolist() == ["failed"] and result.report.tolist() == ["pages"]
    error = result.error.iloc[0]
    assert "declared figure 'bars' was not saved (figures/bars.png is missing)" in error
    assert "code cell 4 (fig, ax = plt.subplots(figsize=(3, 2))) names it" in error
    assert _files(_v(study_copy)) == before and not _v(study_copy, "v002").exists()
    failure = study_copy / "reports" / ".build" / "failures" / "cycle-1-pages" / "manifest.json"
    assert "bars" in json.loads(failure.read_text())["error"]


@pytest.mark.slow
def test_a_figure_that_does_not_render_fails_naming_the_cell(study_copy: Path) -> None:
    before = _files(_v(study_copy))
    _set_mode(study_copy, "empty_figure")
    empty = _build(study_copy)
    assert empty.status.tolist() == ["failed"]
    assert empty.error.iloc[0].startswith("code cell 4 (fig, ax = plt.subplots(figsize=(3, 2))): ")
    assert "FigureError: figure 'bars' has nothing drawn on it" in empty.error.iloc[0]
    _set_mode(study_copy, "raw_figure")  # shown as "<Figure size ...>" text
    raw = _build(study_copy)
    assert raw.status.tolist() == ["failed"]
    assert re.search(
        r"code cell 4 \(.*\) shows a figure that was not rendered \(<Figure size 300x200",
        raw.error.iloc[0],
    )
    assert _files(_v(study_copy)) == before and not _v(study_copy, "v002").exists()


@pytest.mark.slow
def test_a_version_over_its_size_limit_fails(study_copy: Path) -> None:
    before = _files(_v(study_copy))
    path = study_copy / "study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "    inputs: [interviews]\n", "    inputs: [interviews]\n    max_size_mb: 0.05\n"
        ),
        encoding="utf-8",
    )
    result = _build(study_copy, force=True)
    assert result.status.tolist() == ["failed"]
    error = result.error.iloc[0]
    assert re.search(r"the version is 0\.\d MB, over its limit of 0\.05 MB", error), error
    assert "largest files: notebook.html" in error and "the largest output is code cell" in error
    assert _files(_v(study_copy)) == before and not _v(study_copy, "v002").exists()


def test_outputs_and_size_limit_are_validated(mini_study: Path) -> None:
    root = _study(mini_study.parent, "    max_size_mb: -1\n")
    with pytest.raises(StudyError, match="max_size_mb must be a positive number") as info:
        plan(load_study(root))
    assert info.value.key == "reports.pages.max_size_mb"
    path = root / "study.yaml"
    text = path.read_text(encoding="utf-8").replace("    max_size_mb: -1\n", "")
    path.write_text(text.replace("figures: [bars]", "charts: [bars]"), encoding="utf-8")
    with pytest.raises(StudyError, match="unknown kind of output 'charts'"):
        plan(load_study(root))
    path.write_text(text.replace("figures: [bars]", "figures: ['a b']"), encoding="utf-8")
    with pytest.raises(StudyError, match="'figures' must list output names"):
        plan(load_study(root))
    path.write_text(text, encoding="utf-8")
    (job,) = plan(load_study(root))
    assert job.expected_outputs == {"tables": ["gap"], "figures": ["bars"]}
    assert plan(load_study(root), with_code=True)[0].key != job.key


def test_figure_errors_name_the_figure(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    out = Outputs(tmp_path)
    with pytest.raises(FigureError, match="figure 'none' is NoneType, not a matplotlib figure"):
        out.figure(None, "none")
    with pytest.raises(FigureError, match="figure 'blank' has nothing drawn on it"):
        out.figure(plt.figure(), "blank")
    fig, ax = plt.subplots()
    ax.set_title(r"$\frac{1$")  # bad mathtext: matplotlib fails while drawing
    with pytest.raises(FigureError, match=r"figure 'bad' could not be rendered: ValueError"):
        out.figure(fig, "bad")
    assert not (tmp_path / "figures").exists() or not list((tmp_path / "figures").iterdir())
    assert not plt.get_fignums()


def test_warnings_lose_paths_and_source_lines() -> None:
    text = (
        "/opt/venv/lib/python3.12/site-packages/x/gap.py:79: SurveyWarning: 1 pair left out\n"
        "  warnings.warn(message, SurveyWarning)\n"
        "/opt/venv/lib/python3.12/site-packages/x/gap.py:79: SurveyWarning: 1 pair left out\n"
        "  warnings.warn(message, SurveyWarning)\n"
        "plain text on stderr\n"
        "10%|#  | 1/10\r100%|###| 10/10\n"
    )
    assert (
        clean_stderr(text)
        == "SurveyWarning: 1 pair left out\nplain text on stderr\n100%|###| 10/10\n"
    )


def test_cell_labels_count_the_notebook_as_written(tmp_path: Path, mini_study: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / "pages.ipynb", as_version=4)
    injected = nbformat.v4.new_code_cell("# Parameters\ncycle = 1")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    assert cell_label(nb, 2) == "the injected parameters cell"
    assert cell_label(nb, 3).startswith("code cell 2 (import matplotlib)")
    assert cell_label(nb, 0) == "cell 1"
    (job,) = plan(load_study(_study(mini_study.parent)))
    tmp = Path(job.report_dir) / ".tmp-abc"
    pairs = dict(machine_paths(job, tmp, "v007"))
    assert pairs[str(tmp)] == "reports/cycle-1/pages/v007"
    assert pairs[str(Path(job.study_root)) + "/"] == ""


def test_tables_present_people_not_pandas() -> None:
    out = Outputs(None, names={"code_id": {"A": "Alpha"}})
    data = pd.DataFrame(
        {"code_id": ["A", "B"], "mean_gap": [1 / 3, 2.0], "p_value": [0.0004, 0.06851]},
        index=[5, 9],  # an unnamed index means nothing: not shown
    )
    shown = out.table(data, "t", caption="What it shows")
    html = shown.to_html()
    assert shown.data is data and shown.csv is None
    headers = re.findall(r"<th [^>]*>([^<]*)</th>", html)
    assert headers == ["Code id", "Code", "Mean gap", "p"]
    cells = re.findall(r"<td [^>]*>([^<]*)</td>", html)
    assert cells == ["A", "Alpha", "0.33", "&lt; 0.001", "B", "–", "2.00", "0.0685"]
    assert "<figcaption>What it shows (n = 2 rows).</figcaption>" in html
    named = pd.DataFrame({"x": [1]}, index=pd.Index(["r"], name="row"))
    assert re.findall(r"<th [^>]*>([^<]*)</th>", out.table(named, "n").to_html()) == ["Row", "X"]
    long = out.table(pd.DataFrame({"a": range(100)}), "long", max_rows=10)
    assert long.to_html().count("<tr>") == 11 and "The first 10 of 100 rows." in long.to_html()
