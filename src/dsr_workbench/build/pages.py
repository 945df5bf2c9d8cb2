"""The pages of a report version: what people open in a browser, offline.

:func:`finish_version` turns papermill's executed notebook into the version's files:

- **no machine paths**: the injected parameters and every output are rewritten so that
  folders read relative to the study (``study.yaml``, ``reports/cycle-3/<report>/v004``),
  the library and the Python environment read as ``dsr_workbench/...`` and ``<python>``;
  warnings lose their kernel paths and source lines (``SurveyWarning: ...``);
- **checks** that fail the build naming the report and cell: a figure shown as
  ``<Figure size ...>`` text, a declared table or figure (``outputs:`` in ``study.yaml``)
  that no cell saved, a version over its size limit (``max_size_mb``, 25 MB by default);
- ``notebook.html``: figures inline, headings from the notebook's markdown with a contents
  list, code and parameters hidden behind a "Show code" button (a few inlined lines of
  script, so it works offline; ``dsr build --with-code`` shows the code from the start),
  warnings as short notes, interactive widgets as a note, and no script or style from a
  CDN (nbconvert's MathJax, require.js and mermaid tags are left out);
- ``slides.html`` for presented reports: reveal.js from ``reports/_static``.
"""

from __future__ import annotations

import copy
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

from dsr_workbench.build.jobs import Job
from dsr_workbench.build.outputs import list_versions
from dsr_workbench.core.atomic import atomic_write_text
from dsr_workbench.core.errors import DsrError

__all__ = [
    "DEFAULT_MAX_SIZE_MB",
    "PageError",
    "cell_label",
    "clean_stderr",
    "export_html",
    "failing_cell",
    "finish_version",
    "machine_paths",
]

DEFAULT_MAX_SIZE_MB = 25.0
"""A version larger than this fails (``reports.<name>.max_size_mb`` in ``study.yaml``)."""

STATIC = "../../../_static"  # reports/cycle-N/<report>/vNNN/ -> reports/_static
_FIGURE_TEXT = re.compile(r"^<(?:matplotlib\.figure\.)?Figure size [\d.]+x[\d.]+ with \d+ Axes>$")
_WARNING = re.compile(r"^(?P<file>\S.*?):(?P<line>\d+): (?P<category>[A-Za-z_]\w*): (?P<msg>.*)$")
_WIDGET = "application/vnd.jupyter.widget-view+json"


class PageError(DsrError):
    """A version's pages cannot be made, or would mislead: the build of it fails."""


# ---------------------------------------------------------------------------- cells


def _is_injected(cell: Any) -> bool:
    return "injected-parameters" in cell.get("metadata", {}).get("tags", [])


def cell_label(nb: Any, index: int) -> str:
    """Name a cell as its author knows it: ``code cell 3 (out.figure(gap_bars(gap), ...)``.

    Code cells are counted in the notebook as written (papermill's injected parameters cell
    is not counted); markdown cells are not counted.
    """
    cells = nb.cells
    cell = cells[index]
    if cell.cell_type != "code":
        return f"cell {index + 1}"
    if _is_injected(cell):
        return "the injected parameters cell"
    number = sum(1 for c in cells[: index + 1] if c.cell_type == "code" and not _is_injected(c))
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    snippet = first if len(first) <= 50 else first[:47] + "..."
    return f"code cell {number}" + (f" ({snippet})" if snippet else "")


def failing_cell(executed: Path, execution_count: int | None) -> str | None:
    """The label (:func:`cell_label`) of the cell papermill stopped at, if it can be found."""
    import nbformat

    if execution_count is None or not executed.is_file():
        return None
    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:
        return None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("execution_count") == execution_count:
            return cell_label(nb, index)
    return None


# ---------------------------------------------------------------------------- paths


def machine_paths(job: Job, tmp: Path, version: str) -> list[tuple[str, str]]:
    """The ``(absolute path, what to write instead)`` pairs for a version's outputs.

    Longest first, so that the temporary folder is replaced before the study root that
    holds it.
    """
    root = Path(job.study_root).resolve()

    def rel(path: Path) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/")

    final = Path(job.report_dir).resolve() / version
    pairs = {
        str(tmp.resolve()): rel(final),
        str(tmp): rel(final),
        rel(tmp.resolve()): rel(final),  # the build injects output_dir relative to the study
        str(Path(job.reports_dir).resolve()): rel(Path(job.reports_dir).resolve()),
        str(root) + "/": "",
        str(root): ".",
        str(Path(__file__).resolve().parents[1]): "dsr_workbench",
    }
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        for sub in ("lib", "lib64"):
            pyver = f"python{sys.version_info.major}.{sys.version_info.minor}"
            pairs[f"{prefix}/{sub}/{pyver}/site-packages/"] = ""
        pairs[prefix] = "<python>"
    home = os.path.expanduser("~")
    if home not in ("/", ""):
        pairs[home] = "~"
    return sorted(((k, v) for k, v in pairs.items() if k), key=lambda kv: -len(kv[0]))


def _replace(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text


def clean_stderr(text: str) -> str:
    """Warnings as one readable line each: no file path, no echoed source line.

    Examples
    --------
    >>> clean_stderr("/x/y/gap.py:79: SurveyWarning: 1 pair left out\\n  warnings.warn(m)\\n")
    'SurveyWarning: 1 pair left out\\n'
    """
    entries: list[str] = []
    in_warning = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if "\r" in line:  # progress bars redraw with carriage returns: keep the last state
            line = line.rsplit("\r", 1)[-1]
        found = _WARNING.match(line)
        if found and ("/" in found["file"] or found["file"].endswith(".py")):
            entries.append(f"{found['category']}: {found['msg'].strip()}")
            in_warning = True
        elif in_warning and line.startswith((" ", "\t")):
            continue  # the source line Python echoes under a warning
        elif line.strip():
            in_warning = False
            entries.append(line.rstrip())
    unique = list(dict.fromkeys(entries))
    return "".join(f"{e}\n" for e in unique)


def _scrub(nb: Any, pairs: list[tuple[str, str]]) -> Any:
    """The notebook with machine paths replaced everywhere and stderr cleaned."""
    import nbformat

    nb = nbformat.reads(_replace(nbformat.writes(nb), pairs), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                out["text"] = clean_stderr(out.get("text", ""))
                if not out["text"]:
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return nb


# ---------------------------------------------------------------------------- checks


def _check_figures(nb: Any) -> None:
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            plain = data.get("text/plain", "")
            plain = plain if isinstance(plain, str) else "".join(plain)
            if _FIGURE_TEXT.match(plain.strip()) and not any(k.startswith("image/") for k in data):
                raise PageError(
                    f"{cell_label(nb, index)} shows a figure that was not rendered "
                    f"({plain.strip()})",
                    hint="save and show it with out.figure(fig, 'name')",
                )


def _mentions(nb: Any, name: str) -> str:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and re.search(rf"['\"]{re.escape(name)}['\"]", cell.source):
            return f"; {cell_label(nb, index)} names it"
    return "; no cell names it"


def _check_declared(nb: Any, job: Job, tmp: Path) -> None:
    for kind, folder, suffix in (("table", "tables", ".csv"), ("figure", "figures", ".png")):
        for name in job.expected_outputs.get(folder, []):
            path = tmp / folder / f"{name}{suffix}"
            if not path.is_file() or path.stat().st_size == 0:
                raise PageError(
                    f"declared {kind} '{name}' was not saved ({folder}/{name}{suffix} is "
                    f"{'empty' if path.is_file() else 'missing'}){_mentions(nb, name)}",
                    key=f"reports.{job.report}.outputs.{folder}",
                    hint=f"save it with out.{kind}(..., '{name}') or remove it from outputs:",
                )


def _check_size(nb: Any, job: Job, tmp: Path) -> None:
    limit = job.max_size_mb if job.max_size_mb is not None else DEFAULT_MAX_SIZE_MB
    files = sorted(
        ((p.stat().st_size, p.relative_to(tmp).as_posix()) for p in tmp.rglob("*") if p.is_file()),
        reverse=True,
    )
    total = sum(size for size, _ in files)
    if total <= limit * 1e6:
        return
    largest = ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in files[:3])
    sizes = [
        (len(str(cell.get("outputs", []))), index)
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    ]
    biggest = max(sizes, default=(0, -1))
    where = f"; the largest output is {cell_label(nb, biggest[1])}" if biggest[1] >= 0 else ""
    raise PageError(
        f"the version is {total / 1e6:.1f} MB, over its limit of {limit:g} MB "
        f"(largest files: {largest}{where})",
        key=f"reports.{job.report}.max_size_mb",
        hint="save smaller figures or fewer rows, or raise max_size_mb for this report",
    )


# ---------------------------------------------------------------------------- HTML

_CSS = """
main{max-width:1120px;margin:0 auto;padding:0 1.2em}
.dsr-page-header,.dsr-figure figcaption{font-family:var(--jp-content-font-family,system-ui,sans-serif)}
.dsr-page-header{border-bottom:1px solid #d0d7de;margin:1.2em 0 1em;padding-bottom:.6em}
.dsr-page-header h1{margin:.1em 0 .3em;font-size:1.8em}
.dsr-crumb{color:#57606a;margin:0;font-size:.9em}
.dsr-toc{font-size:.95em;margin:.4em 0}
.dsr-toc ol{margin:.2em 0;padding-left:1.4em}
#dsr-code-toggle{font:inherit;font-size:.85em;padding:.2em .8em;border:1px solid #8c959f;
border-radius:4px;background:#f6f8fa;cursor:pointer}
body.dsr-code-hidden .jp-CodeCell .jp-Cell-inputWrapper,
body.dsr-code-hidden .celltag_parameters,
body.dsr-code-hidden .celltag_injected-parameters,
body.dsr-code-hidden .jp-CodeCell.jp-mod-noOutputs{display:none}
.dsr-note{border-left:4px solid #d4a72c;background:#fff8e5;padding:.35em .8em;margin:.3em 0;
font-size:.9em;white-space:pre-wrap}
.dsr-figure{margin:.6em 0}
.dsr-figure img{max-width:100%;height:auto}
.dsr-figure figcaption{font-size:.9em;color:#444;margin-top:.3em}
@media print{#dsr-code-toggle{display:none}}
""".strip()

_TOGGLE_JS = """
(function(){var b=document.getElementById('dsr-code-toggle');if(!b){return;}
function show(on){document.body.classList.toggle('dsr-code-hidden',!on);
b.textContent=on?'Hide code':'Show code';b.setAttribute('aria-pressed',on?'true':'false');}
show(!document.body.classList.contains('dsr-code-hidden'));
b.addEventListener('click',function(){show(document.body.classList.contains('dsr-code-hidden'));});
})();
""".strip()

_NO_NETWORK = """
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

_FIGURE_BLOCK = """
{% block data_png scoped %}
{%- set meta = output.metadata.get('image/png', {}).get('dsr', {}) -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<figure class="dsr-figure"><img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ (meta.get('caption') or meta.get('name') or 'figure') | escape_html }}">
{%- if meta.get('caption') %}<figcaption>{{ meta.get('caption') | escape_html }}</figcaption>{% endif -%}
</figure></div>
{%- endblock data_png %}
"""

PAGE_TEMPLATE = (
    "{%- extends 'lab/index.html.j2' -%}"
    + _NO_NETWORK
    + """
{% block extra_css %}<style type="text/css">{{ resources.dsr.css }}</style>{% endblock extra_css %}
{%- block body_header -%}
<body class="jp-Notebook{{ '' if resources.dsr.with_code else ' dsr-code-hidden' }}"
 data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<main>
<header class="dsr-page-header">
<p class="dsr-crumb">{{ resources.dsr.crumb | escape_html }}</p>
<h1>{{ resources.dsr.title | escape_html }}</h1>
<!--dsr-toc-->
<button type="button" id="dsr-code-toggle" aria-pressed="false">Show code</button>
</header>
{%- endblock body_header -%}
{% block footer_js %}<script>{{ resources.dsr.js }}</script>{% endblock footer_js %}
"""
    + _FIGURE_BLOCK
)

SLIDES_TEMPLATE = (
    "{%- extends 'reveal/index.html.j2' -%}"
    + _NO_NETWORK
    + _FIGURE_BLOCK
    + """
{%- block html_head_css -%}<style type="text/css">{{ resources.dsr.css }}</style>{%- endblock -%}
{% block footer_js %}
<script src="{{ resources.require_js_url }}"></script>
<script>
require({waitSeconds: 15},
  ["{{ resources.reveal.url_prefix }}/dist/reveal.js",
   "{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"],
  function (Reveal, RevealNotes) {
    Reveal.initialize({controls: true, progress: true, history: true,
      transition: "{{ resources.reveal.transition | default('slide', true) }}",
      slideNumber: "{{ resources.reveal.number | default('', true) }}",
      plugins: [RevealNotes], width: {{ resources.reveal.width | default('960', true) }},
      height: {{ resources.reveal.height | default('700', true) }}});
  });
</script>
{% endblock footer_js %}
"""
)


def _note(text: str) -> dict[str, Any]:
    import nbformat

    return nbformat.v4.new_output(
        "display_data",
        data={
            "text/html": f'<div class="dsr-note" role="note">{html.escape(text.strip())}</div>',
            "text/plain": text,
        },
    )


def _for_people(nb: Any, *, slides: bool) -> Any:
    """A copy of the notebook as pages show it: notes for warnings and widgets."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # widget state would need the widget manager (a CDN)
    for cell in nb.cells:
        if slides and _is_injected(cell):  # would become an empty first slide
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                outputs.append(_note(out.get("text", "")))
            elif _WIDGET in out.get("data", {}):
                outputs.append(
                    _note(
                        "An interactive view: open the notebook in JupyterLab, or run "
                        "`dsr present`, to use it."
                    )
                )
            else:
                outputs.append(out)
        cell["outputs"] = outputs
    return nb


def _contents(body: str) -> str:
    """Insert a contents list of the page's ``h2`` headings (the notebook's markdown)."""
    found = re.findall(r'<h2 id="([^"]+)">(.*?)<a class="anchor-link"', body, flags=re.S)
    items = "".join(
        f'<li><a href="#{anchor}">{re.sub(r"<[^>]+>", "", text).strip()}</a></li>'
        for anchor, text in found
    )
    toc = f'<nav class="dsr-toc" aria-label="Contents"><ol>{items}</ol></nav>' if items else ""
    return body.replace("<!--dsr-toc-->", toc, 1)


def _check_offline(body: str, target: Path) -> None:
    remote = re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=[\"']?((?:https?:)?//[^\"' >]+)",
        body,
    )
    remote += re.findall(r"@import\s+(?:url\()?[\"']?((?:https?:)?//[^\"') ;]+)", body)
    if remote:
        raise PageError(
            f"{target.name} would load {remote[0]} from the network",
            hint="vendor it in dsr_workbench/static or remove the output that needs it",
        )


def export_html(
    executed: Path,
    target: Path,
    *,
    slides: bool,
    title: str | None = None,
    crumb: str = "",
    with_code: bool = False,
) -> None:
    """Write ``notebook.html`` (or, with ``slides``, the reveal.js ``slides.html``).

    Parameters
    ----------
    executed
        The executed (and scrubbed) notebook.
    target
        The HTML file to write.
    slides
        Reveal.js slides (code never shown) instead of a page.
    title, crumb
        The page's heading and the line above it (report, cycle).
    with_code
        Show code and parameters from the start (the button still hides them).

    Raises
    ------
    PageError
        If the page would load anything from the network.
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter, SlidesExporter

    nb = _for_people(nbformat.read(executed, as_version=4), slides=slides)
    if title:
        nb.metadata["title"] = title
    loader = jinja2.DictLoader(
        {"dsr_page.html.j2": PAGE_TEMPLATE, "dsr_slides.html.j2": SLIDES_TEMPLATE}
    )
    common: dict[str, Any] = {
        "extra_loaders": [loader],
        "exclude_input_prompt": True,
        "exclude_output_prompt": True,
        "require_js_url": f"{STATIC}/require.js",
        "jquery_url": "",
    }
    exporter: HTMLExporter
    if slides:
        exporter = SlidesExporter(
            template_file="dsr_slides.html.j2",
            reveal_url_prefix=f"{STATIC}/reveal.js",
            reveal_theme="white",
            exclude_input=True,
            **common,
        )
    else:
        exporter = HTMLExporter(template_name="lab", template_file="dsr_page.html.j2", **common)
    resources = {
        "dsr": {
            "css": _CSS,
            "js": _TOGGLE_JS,
            "title": title or "",
            "crumb": crumb,
            "with_code": with_code,
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    if not slides:
        body = _contents(body)
    _check_offline(body, target)
    atomic_write_text(target, body)


def next_version(report_dir: Path) -> str:
    """The name the next version of a report will get (under the build lock: exact)."""
    numbers = list_versions(report_dir)
    return f"v{(numbers[-1] if numbers else 0) + 1:03d}"


def finish_version(job: Job, tmp: Path) -> None:
    """Make a freshly executed version folder safe and readable, or fail naming the cell.

    Rewrites ``tmp/notebook.ipynb`` without machine paths, checks it (figures rendered,
    declared outputs saved), writes ``notebook.html`` (and ``slides.html``), then checks the
    folder's size.

    Raises
    ------
    PageError
        For a figure shown as text, a declared output not saved, a page that would load
        from the network, or a version over its size limit.
    """
    import nbformat

    executed = tmp / "notebook.ipynb"
    version = next_version(job.report_dir)
    nb = _scrub(nbformat.read(executed, as_version=4), machine_paths(job, tmp, version))
    atomic_write_text(executed, nbformat.writes(nb))
    _check_figures(nb)
    _check_declared(nb, job, tmp)
    title = job.title
    crumb = f"Design cycle {job.cycle} · {job.report} · {version}"
    export_html(
        executed,
        tmp / "notebook.html",
        slides=False,
        title=title,
        crumb=crumb,
        with_code=job.with_code,
    )
    if job.present:
        export_html(executed, tmp / "slides.html", slides=True, title=title, crumb=crumb)
    _check_size(nb, job, tmp)
