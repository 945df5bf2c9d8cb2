"""Error types shared by the whole library.

Every error that reaches a user names *where* (file, line or key) and *what to do*.
The CLI prints ``str(error)`` on one line and exits non-zero; nothing else is printed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DsrError", "DsrWarning", "InputError", "StudyError"]


class DsrError(ValueError):
    """Base class of the project's errors: a one-line, actionable message.

    Parameters
    ----------
    message
        What is wrong.
    path
        The file concerned, if any.
    line
        1-based line number in ``path``, if known.
    key
        The key (e.g. ``participants[3].organisation``) concerned, if any.
    hint
        What the user should do to fix it.

    Examples
    --------
    >>> str(DsrError("speaker 'Zoe' is not in study.yaml", path="interviews/I01.txt", line=7,
    ...              hint="add her to participants or fix the label"))
    "interviews/I01.txt:7: speaker 'Zoe' is not in study.yaml (fix: add her to participants or fix the label)"
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.key = key
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
        if self.key is not None:
            where = f"{where}: key '{self.key}'" if where else f"key '{self.key}'"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" (fix: {self.hint})"
        return " ".join(text.split("\n"))


class InputError(DsrError):
    """A raw input (transcript, log, CSV, key file, archive) cannot be used as it is."""


class StudyError(DsrError):
    """``study.yaml`` (or another study configuration file) is invalid."""


class DsrWarning(UserWarning):
    """Base class of the project's warnings: one line naming the file, line or key.

    The ``dsr`` command prints each as ``dsr: warning: <message>`` on stderr.
    """
