"""Raw bytes -> text in the encodings Chinese sites really use."""

import codecs

import pytest
from conftest import SEED_PATHS

import renovml
from renovml import BinaryInputError, DecodingError, InputError, decode_bytes, read_text

SAMPLE = (
    "江汉区召开老旧小区改造工作部署会。区委书记出席会议并讲话，要求加强组织领导，"
    "多方筹措资金，强化考核督办，建立长效管理机制。"
)
SAMPLE_TRAD = "嶗山區召開全區城市更新和城市建設動員大會，會議總結了全區城市更新工作，部署重點任務。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312", "utf-16"])
def test_simplified_round_trip(encoding):
    assert decode_bytes(SAMPLE.encode(encoding)) == SAMPLE


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "big5", "cp950", "gb18030"])
def test_traditional_round_trip(encoding):
    assert decode_bytes(SAMPLE_TRAD.encode(encoding)) == SAMPLE_TRAD


def test_same_article_as_gb18030_and_big5_reads_back_the_same(tmp_path):
    # Seed 004 is in traditional characters, so it is representable in Big5.
    text = read_text(SEED_PATHS[4])
    text = text.encode("big5", errors="ignore").decode("big5")
    gb, big5 = tmp_path / "a.gb18030.txt", tmp_path / "a.big5.txt"
    gb.write_bytes(text.encode("gb18030"))
    big5.write_bytes(text.encode("big5"))
    assert read_text(gb) == read_text(big5) == text
    assert renovml.clean(read_text(gb)) == renovml.clean(read_text(big5))


def test_seeds_are_utf8():
    for path in SEED_PATHS:
        assert read_text(path) == path.read_text(encoding="utf-8")


def test_binary_file_gives_named_error(tmp_path):
    path = tmp_path / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(BinaryInputError, match="picture.txt.*binary"):
        read_text(path)


def test_undecodable_bytes_give_named_error(tmp_path):
    path = tmp_path / "noise.txt"
    # Valid in no candidate encoding as Chinese: high bytes that form no readable text.
    path.write_bytes(bytes([0x81, 0x30, 0xFF, 0xFE, 0x80, 0xFF] * 50))
    with pytest.raises(DecodingError, match="noise.txt"):
        read_text(path)


def test_mojibake_is_refused_not_returned(tmp_path):
    # Shift-JIS Japanese decodes "successfully" as GB18030 into nonsense.
    path = tmp_path / "sjis.txt"
    path.write_bytes(("日本語のテキストです。" * 20).encode("shift_jis"))
    try:
        text = read_text(path)
    except DecodingError:
        return
    assert "日本語" in text  # if it decodes at all, it must decode right


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="nope.txt.*cannot be read"):
        read_text(tmp_path / "nope.txt")


def test_directory_is_named(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        read_text(tmp_path)


def test_bad_bom_is_named():
    with pytest.raises(DecodingError, match="byte-order mark"):
        decode_bytes(codecs.BOM_UTF8 + b"\xff\xfe\xfa")


def test_errors_are_builtin_subclasses():
    assert issubclass(DecodingError, ValueError)
    assert issubclass(DecodingError, UnicodeError)
    assert issubclass(BinaryInputError, renovml.RenovmlError)


def test_wrong_type_is_named():
    with pytest.raises(InputError, match="expected a path or bytes, got int"):
        read_text(3)


def test_json_objects_numbers_lines_skips_blanks_and_names_the_bad_line():
    from renovml.errors import CorpusError, InputError
    from renovml.text.encoding import json_objects

    lines = ['{"a": 1}\n', "\n", "   \n", '{"b": 2}\n']
    assert list(json_objects(lines, "f.jsonl")) == [(1, {"a": 1}), (4, {"b": 2})]
    with pytest.raises(InputError, match=r"^f\.jsonl:2: not valid JSON \(.*\); expected one"):
        list(json_objects(['{"a": 1}\n', "{oops\n"], "f.jsonl"))
    with pytest.raises(CorpusError, match=r"^c\.jsonl:1: expected a JSON object, got list$"):
        list(json_objects(["[1, 2]\n"], "c.jsonl", CorpusError))
