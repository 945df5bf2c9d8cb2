"""The facilitator deck's artifact gallery (dsr_workbench.widgets.presentation) from the data."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

from dsr_workbench.corpus.study import load_study
from dsr_workbench.dsr.artifacts import load_artifacts
from dsr_workbench.plots.artifacts import artifact_figure
from dsr_workbench.widgets._common import figure_png
from dsr_workbench.widgets.presentation import artifact_gallery, cycle_episodes

ROOT = Path(__file__).resolve().parents[2]

FIGURE = re.compile(r"<figure ([^>]*)>(.*?)</figure>", re.S)


def _figures(page: str) -> list[tuple[str, str, bytes]]:
    """(attributes, caption title, PNG bytes) of each figure of the gallery."""
    found = []
    for attrs, body in FIGURE.findall(page):
        title = re.search(r"<b>([^<]+)</b>", body)
        png = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", body)
        found.append((attrs, title.group(1) if title else "",
                      base64.b64decode(png.group(1)) if png else b""))  # fmt: skip
    return found


def test_cycle_3_shows_each_evaluated_version_drawn_from_its_data(tmp_path: Path) -> None:
    for name in ("interviews", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "study.yaml", tmp_path / "study.yaml")
    v3 = tmp_path / "data" / "artifacts" / "development-framework" / "v3.yaml"
    v3.write_text(v3.read_text().replace("name: Lifecycle end", "name: End of life"))
    study = load_study(tmp_path / "study.yaml")
    arts = load_artifacts(study)
    figures = _figures(artifact_gallery(study, None, 3, dpi=40).data)
    episodes = cycle_episodes(study, 3).drop_duplicates(["artifact", "version"])
    assert len(figures) == len(episodes)
    titles = [title for _, title, _ in figures]
    for want in ("CMR development framework v3", "Partner differentiation tool v2",
                 "Expectation alignment method v2"):  # fmt: skip
        assert want in titles
    layout = arts.artifacts.set_index("artifact")["layout"]
    for (_, title, png), (artifact, version) in zip(
        figures, episodes[["artifact", "version"]].itertuples(index=False), strict=True
    ):
        drawn = artifact_figure(arts.version(artifact, version), layout=layout[artifact])
        assert png == figure_png(drawn, 40), title  # the figure of this version's data
    framework = arts.version("development-framework", "v3")
    assert "End of life" in set(framework["name"])


def test_stacked_figures_are_shown_one_at_a_time_on_a_slide() -> None:
    study = load_study(ROOT / "study.yaml")
    figures = _figures(artifact_gallery(study, None, 3, dpi=20).data)
    attrs = [a for a, _, _ in figures]
    assert len(attrs) > 2
    steps = [re.search(r'data-fragment-index="(\d+)"', a) for a in attrs]
    assert all(steps)
    assert "fade-out" in attrs[0] and "current-visible" not in attrs[-1]
    assert all("current-visible" in a for a in attrs[1:-1])
    # the first shows until step 0, the k-th at step k-1 only, the last from its step on
    assert [int(s.group(1)) for s in steps if s] == [0, *range(len(attrs) - 1)]
    one = _figures(artifact_gallery(study, None, 1, dpi=20).data)
    assert len(one) == 1 and "fragment" not in one[0][0]


def test_a_cycle_without_episodes_says_so(mini_study: Path) -> None:
    page = artifact_gallery(load_study(mini_study), None, 1).data
    assert page == "<p>No artifact version is evaluated in cycle 1 yet.</p>"
