"""Raw bytes -> text: find the encoding of a scraped article and decode it."""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from renovml.errors import BinaryInputError, DecodingError, InputError
from renovml.text.cleaning import to_simplified
from renovml.text.patterns import CJK_CHAR

__all__ = ["decode_bytes", "json_objects", "open_text", "read_text"]

# The 300 most frequent characters of modern Chinese news text (simplified).
# Correct decodings of Chinese text are dominated by them; mojibake is not.
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体"
    "制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内"
    "数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提"
    "直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计"
    "别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海"
    "口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身"
    "车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石"
    "记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青"
    "省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型"
    "眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严小区改旧居施推"
)
# Candidate legacy encodings, tried after UTF-8 (GB18030 is a superset of GBK).
_LEGACY = ("gb18030", "cp950", "big5hkscs")
_MIN_CJK_FOR_SCORING = 8
_MIN_COMMON_SHARE = 0.25
_SNIFF_BYTES = 1 << 16
# Byte-order marks, UTF-32 first: UTF-32-LE's BOM starts with UTF-16-LE's.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# C0 control bytes that do not occur in text files (tab, newlines, form feed and ESC do).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _common_share(text: str) -> tuple[float, int]:
    """Share of CJK characters that are common once converted to simplified."""
    cjk = CJK_CHAR.findall(text)
    if not cjk:
        return 0.0, 0
    simplified = to_simplified("".join(cjk))
    return sum(ch in _COMMON for ch in simplified) / len(simplified), len(cjk)


def _looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(head) // 100)


def _detect(data: bytes, name: str) -> tuple[str, str]:
    """(encoding, decoded text) of ``data``."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return encoding, data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DecodingError(f"{name}: starts with a {encoding} byte-order mark "
                                    f"but is not valid {encoding} ({exc.reason} at byte "
                                    f"{exc.start})") from None
    if _looks_binary(data):
        raise BinaryInputError(f"{name}: looks like a binary file (NUL or control bytes), "
                               "expected text in UTF-8, GB18030/GBK or Big5")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for encoding in _LEGACY:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        share, n_cjk = _common_share(text)
        if n_cjk < _MIN_CJK_FOR_SCORING:
            share = 0.5  # too little Chinese to judge; a strict decode is all we have
        if best is None or share > best[0]:
            best = (share, encoding, text)
    if best is None or best[0] < _MIN_COMMON_SHARE:
        raise DecodingError(f"{name}: not decodable as UTF-8, GB18030/GBK or Big5 "
                            "into readable Chinese text")
    return best[1], best[2]


def decode_bytes(data: bytes, *, name: str = "<bytes>") -> str:
    """Decode the bytes of an article, detecting its encoding.

    Parameters
    ----------
    data : bytes
        The raw content: UTF-8 (with or without BOM), UTF-16 or UTF-32 with BOM,
        GB18030/GBK/GB2312 or Big5.
    name : str
        What to call the input in error messages (a path, an id).

    Returns
    -------
    str
        The decoded text, unchanged otherwise.

    Raises
    ------
    BinaryInputError
        If the bytes look like a binary file.
    DecodingError
        If no supported encoding decodes the bytes into plausible Chinese text.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"{name}: expected bytes, got {type(data).__name__}")
    return _detect(bytes(data), name)[1]


def open_text(path: str | os.PathLike, *, sniff_bytes: int = 1 << 20):
    """Open a possibly large text file for streaming, its encoding detected from its head.

    The first ``sniff_bytes`` (cut back to the last line break, so no character is
    split) decide the encoding, unless the file starts with a UTF-16 or UTF-32
    byte-order mark, which decides it alone; the file is then read line by line,
    never whole, whatever its size.

    Raises
    ------
    InputError
        If the file cannot be read, looks binary, or its head decodes in no
        supported encoding.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(sniff_bytes)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    for bom, encoding in _BOMS[1:]:
        if head.startswith(bom):  # UTF-16/32: the mark decides; a cut head would split a unit
            return open(path, encoding=encoding, newline="")
    if len(head) == sniff_bytes and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    encoding = _detect(head, str(path))[0]
    return open(path, encoding=encoding, newline="")


def read_text(source: str | os.PathLike | bytes) -> str:
    """Read an article from a path or from its raw bytes and return its text.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        A path to a file, or the file's bytes.

    Raises
    ------
    InputError
        If the file cannot be read; :class:`BinaryInputError` or
        :class:`DecodingError` (both subclasses) if it is not decodable text.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_bytes(source)
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"expected a path or bytes, got {type(source).__name__}")
    path = Path(source)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a text file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return decode_bytes(data, name=str(path))


def json_objects(lines: Iterable[str], name, error: type[Exception] = InputError
                 ) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON-lines file.

    Raises
    ------
    InputError (or ``error``)
        At the first line that is not valid JSON or not a JSON object, naming
        ``name:line``.
    """
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{name}:{n}: not valid JSON ({exc.msg}); expected one JSON object "
                        "a line") from None
        if not isinstance(row, dict):
            raise error(f"{name}:{n}: expected a JSON object, got {type(row).__name__}")
        yield n, row
