"""The build layer: plan one job per cycle and report from ``study.yaml``, skip what is
current, run the rest with papermill through any ``concurrent.futures.Executor``; versioned
report folders and manifests, status and verify, the index, the study report and its PDF.

Imports every layer below it; nothing below imports it.
"""

from __future__ import annotations

from dsr_workbench.build.catalog import VERSION_COLUMNS, versions_table, what_changed
from dsr_workbench.build.check import (
    STATUS_COLUMNS,
    compare_versions,
    status,
    verify,
)
from dsr_workbench.build.index import write_index
from dsr_workbench.build.jobs import (
    DEFAULT_INPUTS,
    DEFAULT_TIMEOUT_MINUTES,
    INJECTED,
    Job,
    code_cells,
    environment,
    job_key,
    library_hash,
    plan,
    report_specs,
    timeout_minutes,
)
from dsr_workbench.build.outputs import (
    MANIFEST,
    HashCache,
    Outputs,
    changed_inputs,
    ensure_static,
    file_sha256,
    latest_version,
    list_versions,
    pages_outdated,
    read_manifest,
    tree_files,
    version_dirs,
)
from dsr_workbench.build.pdf import PdfSkipped, find_browser, write_pdfs
from dsr_workbench.build.run import (
    RESULT_COLUMNS,
    BuildLockedError,
    build,
    make_executor,
    run_job,
)
from dsr_workbench.build.study_report import write_study_report

__all__ = [
    "MANIFEST",
    "HashCache",
    "Outputs",
    "file_sha256",
    "latest_version",
    "list_versions",
    "pages_outdated",
    "changed_inputs",
    "ensure_static",
    "read_manifest",
    "tree_files",
    "version_dirs",
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
    "RESULT_COLUMNS",
    "BuildLockedError",
    "build",
    "make_executor",
    "run_job",
    "STATUS_COLUMNS",
    "compare_versions",
    "status",
    "verify",
    "VERSION_COLUMNS",
    "versions_table",
    "write_index",
    "write_study_report",
    "what_changed",
    "PdfSkipped",
    "find_browser",
    "write_pdfs",
]
