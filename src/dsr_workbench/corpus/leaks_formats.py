"""The text inside formats a leak check must open: XML members, notebooks, PNG, PDF, tables.

Each reader takes the file's bytes (or text) and returns the text a reader of the file could
see, one item a line, for :mod:`dsr_workbench.corpus.leaks` to scan. None of them inflates
more than it is allowed to: a stream past its cap raises :class:`TooLarge`.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import zlib
from typing import Any

__all__ = [
    "UTF8_RUN",
    "TooLarge",
    "notebook_parts",
    "pdf_text",
    "png_text",
    "table_text",
    "xml_attributes",
    "xml_text",
]

UTF8_RUN = re.compile(
    rb"(?:[\t\n\r\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
    rb"|[\xf0-\xf4][\x80-\xbf]{3}){4,}"
)
"""A run of at least four printable UTF-8 characters in bytes (as ``strings`` finds)."""

_MiB = 1 << 20


class TooLarge(ValueError):
    """A compressed stream inside a file inflates past its cap."""


# --------------------------------------------------------------------------- XML

_BLOCK_END = re.compile(
    r"</(?:w:p|a:p|w:tc|p|li|tr|td|th|si|c|row|PlainTextContent|Description)>"
    r"|<w:br/>|<br\s*/?>"
)
_TAG_ANY = re.compile(r"<[^>]+>")
_ATTRIBUTE = re.compile(r"""\s[\w:.-]+\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def xml_text(xml: str) -> str:
    """Text of an XML member: block ends become new lines, other tags vanish.

    Word splits words over runs (``<w:r>``), so tags inside a paragraph must join, not
    separate, the pieces.

    Examples
    --------
    >>> xml_text("<w:p><w:r><w:t>Linden</w:t></w:r><w:r><w:t>hof</w:t></w:r></w:p><w:p>x</w:p>")
    'Lindenhof\\nx\\n'
    """
    return html.unescape(_TAG_ANY.sub("", _BLOCK_END.sub("\n", xml)))


def xml_attributes(xml: str) -> str:
    """Attribute values of an XML member, one a line (comment authors, alt texts, ...).

    Examples
    --------
    >>> xml_attributes('<w:comment w:id="3" w:author="Kim &amp; Ana"><w:t>x</w:t>')
    'Kim & Ana'
    """
    values = []
    for tag in _TAG_ANY.finditer(xml):
        for found in _ATTRIBUTE.finditer(tag.group(0)):
            value = found.group(1) if found.group(1) is not None else found.group(2)
            if value and not value.isdigit():
                values.append(html.unescape(value))
    return "\n".join(values)


# --------------------------------------------------------------------------- notebooks


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def notebook_parts(text: str) -> list[tuple[str, str | bytes]] | None:
    """A notebook's text cell by cell, and its images, or ``None`` if it is not one.

    Returns
    -------
    list of (where, text or bytes)
        ``("#cell-N", text)``: the cell's source, then its outputs (text, errors, data,
        metadata), split lists joined as Jupyter shows them; ``("#cell-N!image/png",
        bytes)``: an embedded image, to be scanned as a file; ``("#metadata", text)``.

    Examples
    --------
    >>> notebook_parts('{"cells": [{"source": ["a\\\\n", "b"], "outputs": []}]}')
    [('#cell-1', 'a\\nb\\n'), ('#metadata', '{}')]
    """
    try:
        nb = json.loads(text)
    except ValueError:
        return None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None
    parts: list[tuple[str, str | bytes]] = []
    for number, cell in enumerate(nb["cells"], start=1):
        where = f"#cell-{number}"
        if not isinstance(cell, dict):
            parts.append((where, _joined(cell)))
            continue
        texts = [_joined(cell.get("source", ""))]
        for output in cell.get("outputs") or []:
            if not isinstance(output, dict):
                texts.append(_joined(output))
                continue
            for field in ("text", "ename", "evalue", "traceback"):
                if field in output:
                    value = output[field]
                    texts.append("\n".join(value) if field == "traceback" else _joined(value))
            for mime, value in (output.get("data") or {}).items():
                if mime.startswith("image/") and "svg" not in mime:
                    try:
                        parts.append((f"{where}!{mime}", base64.b64decode(_joined(value))))
                    except (binascii.Error, ValueError):
                        texts.append(_joined(value))
                else:
                    texts.append(_joined(value))
            if output.get("metadata"):
                texts.append(_joined(output["metadata"]))
        for name in ("metadata", "attachments"):
            if cell.get(name):
                texts.append(_joined(cell[name]))
        parts.append((where, "".join(t if t.endswith("\n") else t + "\n" for t in texts if t)))
    parts.append(("#metadata", _joined(nb.get("metadata", {}))))
    return parts


# --------------------------------------------------------------------------- PNG


def _inflate_capped(data: bytes, cap: int) -> bytes:
    engine = zlib.decompressobj()
    out = engine.decompress(data, cap)
    if engine.unconsumed_tail:
        raise TooLarge(f"a compressed stream inflates past {cap // _MiB} MiB")
    return out


def png_text(data: bytes, cap: int = 16 * _MiB) -> str:
    """The text chunks of a PNG (tEXt, zTXt, iTXt; eXIf strings), ``keyword: text`` a line.

    Raises
    ------
    TooLarge
        If a compressed chunk inflates past ``cap`` bytes.
    """
    lines, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        keyword, _, rest = body.partition(b"\x00")
        try:
            if kind == b"tEXt":
                lines.append(f"{keyword.decode('latin-1')}: {rest.decode('latin-1')}")
            elif kind == b"zTXt":
                text = _inflate_capped(rest[1:], cap).decode("latin-1")
                lines.append(f"{keyword.decode('latin-1')}: {text}")
            elif kind == b"iTXt":
                compressed, rest = rest[0], rest[2:]
                _language, _, rest = rest.partition(b"\x00")
                translated, _, value = rest.partition(b"\x00")
                if compressed:
                    value = _inflate_capped(value, cap)
                lines.append(
                    f"{keyword.decode('latin-1')}: {translated.decode('utf-8', 'replace')} "
                    f"{value.decode('utf-8', 'replace')}"
                )
            elif kind in (b"eXIf", b"iCCP"):
                lines.extend(m.group(0).decode("utf-8", "replace") for m in UTF8_RUN.finditer(body))
        except (zlib.error, IndexError):
            lines.append(body.decode("latin-1"))
        if kind == b"IEND":
            break
    return "\n".join(lines)


# --------------------------------------------------------------------------- PDF

_PDF_STREAM = re.compile(rb"stream\r?\n")
_PDF_LITERAL = re.compile(rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)", re.S)
_PDF_HEX = re.compile(rb"<([0-9A-Fa-f\s]{8,})>")
_PDF_TEXT_OP = re.compile(rb"\[((?:[^\]\\]|\\.)*)\]\s*TJ|(\((?:\\.|[^\\)])*\))\s*(?:Tj|'|\")", re.S)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_OCTAL = re.compile(rb"[0-7]{1,3}")


def _pdf_string(literal: bytes) -> str:
    """A PDF literal string ``(...)`` as text (escapes and UTF-16BE with a BOM decoded).

    Examples
    --------
    >>> _pdf_string(rb"(J\\366rg \\(x\\))")
    'Jörg (x)'
    """
    body = literal[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i : i + 1]
        if char == b"\\" and i + 1 < len(body):
            octal = _OCTAL.match(body, i + 1, i + 4)
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            nxt = body[i + 1 : i + 2]
            out += _PDF_ESCAPES.get(nxt, b"" if nxt in b"\r\n" else nxt)
            i += 2
            continue
        out += char
        i += 1
    data = bytes(out)
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    return data.decode("cp1252", errors="replace")


def pdf_text(data: bytes, cap: int) -> tuple[str, int]:
    """Text of a PDF: its strings, and the text each inflated content stream shows.

    A ``TJ`` array (``[(J) -0.6 (o) ...] TJ``, as matplotlib writes one glyph at a time) is
    joined into one line.

    Returns
    -------
    text, inflated
        The text, one string or text operation a line, and the bytes inflated.

    Raises
    ------
    TooLarge
        If one stream inflates past ``cap`` bytes.
    """
    sources = [data]
    inflated = 0
    for found in _PDF_STREAM.finditer(data):
        end = data.find(b"endstream", found.end())
        if end < 0:
            continue
        dictionary = data[max(0, found.start() - 512) : found.start()]
        if b"/FlateDecode" not in dictionary.rsplit(b"obj", 1)[-1]:
            continue
        try:
            stream = _inflate_capped(data[found.end() : end], cap)
        except zlib.error:
            continue
        inflated += len(stream)
        sources.append(stream)
    lines = []
    for source in sources:
        for op in _PDF_TEXT_OP.finditer(source):
            if op.group(1) is not None:
                lines.append("".join(_pdf_string(s) for s in _PDF_LITERAL.findall(op.group(1))))
            else:
                lines.append(_pdf_string(op.group(2)))
        lines.extend(_pdf_string(s) for s in _PDF_LITERAL.findall(source))
        for hexa in _PDF_HEX.findall(source):
            digits = re.sub(rb"\s", b"", hexa).decode()
            raw = bytes.fromhex(digits + "0" * (len(digits) % 2))
            if raw.startswith(b"\xfe\xff"):
                lines.append(raw[2:].decode("utf-16-be", errors="replace"))
        lines.extend(m.group(0).decode("utf-8", "replace") for m in UTF8_RUN.finditer(source))
    return "\n".join(line.replace("\n", " ") for line in lines), inflated


# --------------------------------------------------------------------------- tables


def table_text(data: bytes) -> str | None:
    """A Parquet or Arrow IPC file as CSV text and its metadata (``None``: not readable).

    Their strings are compressed inside (snappy, zstd, lz4), so the bytes alone show none.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if data.startswith(b"PAR1"):
            table = pq.read_table(pa.BufferReader(data))
        else:
            table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
        frame = table.to_pandas()
    except Exception:  # damaged, or not a table after all
        return None
    metadata = {
        k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
        for k, v in (table.schema.metadata or {}).items()
    }
    return frame.to_csv(index=False) + "\n" + json.dumps(metadata, ensure_ascii=False)
