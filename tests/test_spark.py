"""renovml.spark.tag_batches, the function a Spark job hands to mapInPandas, with pandas
alone: the records of `renovml predict`, batch after batch, in a schema Spark accepts."""

import json
import re

import pytest
from conftest import SEED_PATHS

from renovml.cli import SECTION_FIELDS, main

pd = pytest.importorskip("pandas")

import renovml.dask as rdask  # noqa: E402
from renovml.spark import SCHEMA, tag_batches  # noqa: E402


@pytest.fixture(scope="module")
def articles():
    seeds = [p.read_text(encoding="utf-8") for p in SEED_PATHS]
    rows = [{"id": f"doc-{i}", "text": seeds[i % 5] + f"\n第{i}篇。"} for i in range(14)]
    rows[3]["text"] = ""
    rows[9]["text"] = " \n\u3000 \n"
    return rows


@pytest.fixture(scope="module")
def reference(articles, tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    dump = folder / "rows.jsonl"
    dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in articles),
                    encoding="utf-8")
    assert main(["predict", str(dump), "-o", str(folder / "ref.jsonl"), "-j", "1", "-q"]) == 1
    return [json.loads(x) for x in (folder / "ref.jsonl").read_text(encoding="utf-8").splitlines()]


def test_schema_names_the_cli_csv_columns_with_spark_types():
    columns = re.findall(r"`(\w+)` (\w+)", SCHEMA)
    assert [name for name, _ in columns] == [f for f in SECTION_FIELDS]
    types = dict(columns)
    assert types["start"] == types["end"] == "bigint"
    assert {types[f"score_{t}"] for t in ("funding", "governance")} == {"double"}
    assert types["section_id"] == types["text"] == types["themes"] == "string"


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_batches_give_the_cli_records_in_order(articles, reference, dtype):
    frame = pd.DataFrame(articles).astype(dtype)  # "str": pandas' Arrow-backed strings
    batches = [frame.iloc[:5], frame.iloc[5:6], frame.iloc[6:]]
    out = list(tag_batches(iter(batches)))
    assert len(out) == 3  # one frame out per frame in, as mapInPandas streams them
    tagged = pd.concat(out, ignore_index=True)
    pd.testing.assert_frame_equal(tagged, rdask.section_frame(reference))
    assert tagged["article_id"].drop_duplicates().tolist() == [r["id"] for r in articles]
    errors = tagged.dropna(subset=["error"])
    assert errors["article_id"].tolist() == ["doc-3", "doc-9"]
    assert errors["start"].isna().all()


def test_text_columns_are_object_dtype_with_plain_strings(articles):
    frame = pd.DataFrame(articles[:2]).astype("str")
    tagged = next(tag_batches([frame]))
    for column in ("article_id", "section_id", "text", "themes"):
        assert tagged[column].dtype == object
        assert all(type(v) is str for v in tagged[column])
    assert str(tagged["start"].dtype) == "Int64"
    assert re.fullmatch(r"(funding|governance|infrastructure|management)(;\w+)*|",
                        tagged["themes"].iloc[0])


def test_null_text_and_missing_column(articles):
    frame = pd.DataFrame({"id": ["x", "y"], "text": [None, articles[0]["text"]]})
    tagged = next(tag_batches([frame]))
    assert tagged.loc[0, "article_id"] == "x"
    assert re.fullmatch(r"row 'x': no text in column 'text' \(found (None|nan)\)",
                        tagged.loc[0, "error"])
    assert (tagged["article_id"] == "y").sum() > 1
    with pytest.raises(ValueError, match="no column 'body'"):
        next(tag_batches([frame], text="body"))


def test_options_reach_the_records(articles):
    frame = pd.DataFrame(articles[:1])
    sentences = next(tag_batches([frame], unit="sentence", explain=2,
                                 thresholds={"funding": 0.0}))
    assert set(sentences["unit"]) == {"sentence"}
    assert all("funding" in t.split(";") for t in sentences["themes"])
    assert isinstance(json.loads(sentences["explain"].iloc[0]), dict)


def test_model_loaded_once_per_process(articles):
    frame = pd.DataFrame(articles[:2])
    for _ in range(3):
        next(tag_batches([frame]))
    assert len(rdask._models) == 1
