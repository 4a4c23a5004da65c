"""renovml on Dask: the same records as `renovml predict` in-process, partition by
partition, whatever a cluster does to its workers.

The cluster tests are marked ``dask`` (deselect them with ``-m "not dask"``); each starts
its LocalCluster inside a fixture, never at import, so spawned workers can import this
module safely.
"""

import csv
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import SEED_PATHS

import renovml.dask as rdask
from renovml.batch import Task, iter_tasks
from renovml.cli import build_parser, main
from renovml.errors import ArtifactError, InputError, RenovmlError
from renovml.themes import THEMES

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

BLOCK = 6000  # bytes of input per partition: about thirty partitions of the corpus below


def _corpus(folder: Path) -> list[str]:
    """The seed pages plus generated articles: text files mixing seed paragraphs, an HTML
    page, a JSONL dump with bad lines and a repeated id, a CSV file, an empty file, a
    binary file and a missing one; returns the paths to give `renovml predict`."""
    folder.mkdir()
    seeds = [p.read_text(encoding="utf-8") for p in SEED_PATHS]
    paragraphs = [line for text in seeds for line in text.split("\n") if len(line) > 20]
    for p in SEED_PATHS:
        (folder / p.name).write_bytes(p.read_bytes())
    generated = folder / "generated"
    generated.mkdir()
    for i in range(40):
        picked = [paragraphs[(i * 7 + k * 3) % len(paragraphs)] for k in range(3 + i % 5)]
        (generated / f"{i:03d}.txt").write_text("\n".join(picked) + f"\n第{i}篇。",
                                                encoding="utf-8")
    (generated / "page.html").write_text(
        "<html><body><article><p>" + "</p><p>".join(paragraphs[:4]) + "</p></article></body></html>",
        encoding="utf-8")
    (generated / "empty.txt").write_text("", encoding="utf-8")
    (generated / "binary.txt").write_bytes(bytes(range(256)) * 8)
    with open(folder / "dump.jsonl", "w", encoding="utf-8") as handle:
        for i in range(120):
            if i % 29 == 3:
                handle.write("{not json\n")
            elif i % 31 == 4:
                handle.write(json.dumps({"id": f"no-text-{i}"}) + "\n")
            elif i % 17 == 5:
                handle.write("\n")
            else:
                record = {"text": paragraphs[i % len(paragraphs)] + f"第{i}条。"}
                if i % 3 == 0:
                    record["id"] = f"https://example.org/{i % 4}"  # ids repeat
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with open(folder / "table.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(8):
            writer.writerow([f"row-{i}", paragraphs[-1 - i]])
    return [str(folder), str(folder / "missing.txt")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _corpus(tmp_path_factory.mktemp("dask") / "in")


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    """`renovml predict --jobs 1` on the corpus: its records and its summaries."""
    out = tmp_path_factory.mktemp("reference")
    code = main(["predict", *corpus, "-o", str(out / "ref.jsonl"), "--summary",
                 str(out / "summary.jsonl"), "--jobs", "1", "--quiet"])
    assert code == 1  # the corpus has failing inputs on purpose
    read = lambda name: [json.loads(x) for x in (out / name).read_text(encoding="utf-8").splitlines()]  # noqa: E731
    return {"records": read("ref.jsonl"), "summaries": read("summary.jsonl"),
            "summary_bytes": (out / "summary.jsonl").read_bytes()}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as connected:
        yield connected


def _finished(out: Path) -> dict[int, dict]:
    return rdask._read_manifest(out / rdask.MANIFEST_NAME)[1]


# --- planning and the worker half, in this process ---------------------------------------

@pytest.mark.parametrize("blocksize", [1, 700, BLOCK, 10**9])
def test_partitions_hold_the_tasks_of_iter_tasks_in_order(corpus, blocksize):
    plan = rdask.plan_partitions(corpus, blocksize=blocksize)
    tasks = [t for items in plan for t in rdask._tasks_of(items, "text", None)]
    assert tasks == list(iter_tasks(corpus))
    assert all(plan)  # no empty partition


def test_big_jsonl_file_is_cut_at_line_breaks_and_numbered_on(tmp_path):
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text": f"第{i}条，加装电梯。" * (1 + i % 4)}, ensure_ascii=False)
             for i in range(200)]
    lines[57] = "{broken"
    path.write_text("\n".join(lines), encoding="utf-8")  # no final line break
    plan = rdask.plan_partitions([str(path)], blocksize=1000)
    spans = [item for items in plan for item in items]
    assert len(spans) > 5 and all(isinstance(s, rdask.Span) for s in spans)
    assert [s.start for s in spans[1:]] == [s.end for s in spans[:-1]]
    assert spans[-1].end == path.stat().st_size
    tasks = [t for items in plan for t in rdask._tasks_of(items, "text", None)]
    assert tasks == list(iter_tasks([str(path)]))
    assert tasks[57] == Task(f"{path}:58", "error", data=tasks[57].data, key=f"{path}:58")


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf" + b'{"text": "a"}\n' * 300,
                                     '{"text": "改造"}\n'.encode("gb18030") * 300])
def test_jsonl_not_plain_utf8_stays_whole(tmp_path, content):
    path = tmp_path / "odd.jsonl"
    path.write_bytes(content)
    plan = rdask.plan_partitions([str(path)], blocksize=100)
    assert plan == [[rdask.Span(str(path), str(path.resolve()), "jsonl")]]


def test_standard_input_cannot_be_planned():
    with pytest.raises(InputError, match="standard input"):
        rdask.plan_partitions(["-"])


def test_model_is_named_by_path_and_hash_not_shipped():
    from renovml.model import shipped

    model = rdask.Model.of()
    assert model.path is None and model.sha256 == shipped.SHA256
    config = rdask._config(None, "paragraph", {"funding": 0.3}, 0, "auto")
    assert len(pickle.dumps(config)) < 1000  # what travels in the task graph
    with pytest.raises(ArtifactError, match="no model artifact"):
        rdask.Model.of("no/such/model.joblib")


def test_worker_refuses_a_model_whose_hash_differs(tmp_path):
    from renovml.model.artifact import shipped_model_path

    copy = tmp_path / "model.joblib"
    copy.write_bytes(shipped_model_path().read_bytes())
    named = rdask.Model.of(copy, trusted=True)
    copy.write_bytes(copy.read_bytes() + b"\0")  # changed after the client hashed it
    with pytest.raises(ArtifactError, match="SHA-256"):
        rdask.tag_partition([Task("a", "record", data="加装电梯。", key="a")], model=named)


def test_tag_partition_gives_the_in_process_records(corpus, reference):
    tasks = list(iter_tasks(corpus))
    per_input = rdask.tag_partition(tasks, model=rdask.Model.of())
    assert len(per_input) == len(tasks)
    assert all(len(r) == 1 for r in per_input if "error" in r[0])
    assert [r for records in per_input for r in records] == reference["records"]


def test_summary_of_is_the_cli_summary(corpus, reference):
    per_input = rdask.tag_partition(list(iter_tasks(corpus)), model=rdask.Model.of())
    summaries = [rdask.summary_of(records[0]["article_id"], records) for records in per_input]
    assert summaries == reference["summaries"]
    assert any("error" in s for s in summaries) and any(s["dominant_themes"] for s in summaries
                                                         if "error" not in s)


def test_directory_with_other_files_is_refused(tmp_path, corpus):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(RenovmlError, match="did not write"):
        rdask.predict_partitioned(corpus, out, scheduler="unused")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


# --- on a cluster ----------------------------------------------------------------------------

@pytest.mark.dask
def test_partitioned_output_is_the_in_process_output(client, corpus, reference, tmp_path):
    out = tmp_path / "out"
    report = rdask.predict_partitioned(corpus, out, scheduler=client, blocksize=BLOCK,
                                       summary=tmp_path / "summary.jsonl")
    plan = rdask.plan_partitions(corpus, blocksize=BLOCK)
    assert report["partitions"] == len(plan) > 10 and report["skipped_partitions"] == 0
    assert list(rdask.read_partitioned(out)) == reference["records"]
    assert (tmp_path / "summary.jsonl").read_bytes() == reference["summary_bytes"]
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["manifest.jsonl", *[f"part-{i:05d}.jsonl" for i in range(len(plan))],
                            *[f"summary-{i:05d}.jsonl" for i in range(len(plan))]])
    n_failed = sum("error" in s for s in reference["summaries"])
    assert (report["inputs"], report["failed"]) == (len(reference["summaries"]), n_failed)
    assert report["sections"] == len(reference["records"]) - n_failed
    # each worker process loaded the model once, and both did some of the work
    loaded = client.run(lambda: len(rdask._models))
    assert sorted(loaded.values()) == [1, 1]


@pytest.mark.dask
def test_parquet_parts_hold_the_cli_columns(client, corpus, reference, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    rdask.predict_partitioned(corpus, out, scheduler=client, blocksize=BLOCK * 4, fmt="parquet")
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) > 2
    got = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    # pandas 3 reads Parquet strings as its "str" dtype, a missing one as NaN: back to None
    got = got.astype(object).where(got.notna(), None)
    pd.testing.assert_frame_equal(got.astype(rdask._FRAME_DTYPES),
                                  rdask.section_frame(reference["records"]))


@pytest.mark.dask
def test_bag_and_summaries_match_the_in_process_path(client, corpus, reference):
    articles = rdask.read_articles(corpus, blocksize=BLOCK)
    assert articles.npartitions > 10
    assert rdask.tag_bag(articles).compute() == reference["records"]
    summaries, shares = rdask.summarize(articles)
    assert summaries.compute() == reference["summaries"]
    ok = [s for s in reference["summaries"] if "error" not in s]
    n = sum(s["n_sections"] for s in ok)
    expected = {t: round(sum(s[f"share_{t}"] * s["n_sections"] for s in ok) / n, 4) for t in THEMES}
    got = shares.compute()
    assert (got["articles"], got["sections"]) == (len(ok), n)
    assert {t: got[f"share_{t}"] for t in THEMES} == expected


@pytest.mark.dask
def test_bag_of_records_and_dataframe(client, tmp_path):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    seeds = [p.read_text(encoding="utf-8") for p in SEED_PATHS]
    rows = [{"id": f"a{i}", "text": seeds[i % 5] + f"\n第{i}篇。"} for i in range(12)]
    rows[4]["text"] = "   "
    dump = tmp_path / "rows.jsonl"
    dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    assert main(["predict", str(dump), "-o", str(tmp_path / "ref.jsonl"), "-j", "1", "-q"]) == 1
    ref = [json.loads(x) for x in (tmp_path / "ref.jsonl").read_text(encoding="utf-8").splitlines()]
    bag = dask_bag.from_sequence(rows, npartitions=3)
    assert rdask.tag_bag(bag).compute() == ref
    frame = pd.DataFrame(rows).astype(object)
    tagged = rdask.tag_dataframe(dd.from_pandas(frame, npartitions=3))
    assert list(tagged.columns) == rdask.FRAME_COLUMNS
    computed = tagged.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(computed, rdask.section_frame(ref))
    assert computed.loc[computed.article_id == "a4", "error"].tolist() == ["a4: empty article, expected text"]


@pytest.mark.dask
def test_a_worker_killed_mid_run_loses_and_repeats_nothing(corpus, reference, tmp_path):
    out = tmp_path / "out"
    killed = {}
    with rdask.local_cluster(2) as cluster, distributed.Client(cluster) as client:

        def kill_a_busy_worker(entry):
            if killed:
                return
            busy = [addr for addr, keys in client.processing().items() if keys]
            pids = client.run(os.getpid)
            killed.update(pid=pids[busy[0]], left=sum(map(len, client.processing().values())))
            os.kill(killed["pid"], signal.SIGKILL)

        report = rdask.predict_partitioned(corpus, out, scheduler=client, blocksize=BLOCK,
                                           on_partition=kill_a_busy_worker)
        assert killed["left"] > 2  # the kill came with work still to do
        client.wait_for_workers(2, timeout=30)
        assert killed["pid"] not in client.run(os.getpid).values()  # a new process took over
    records = list(rdask.read_partitioned(out))
    assert records == reference["records"]  # complete, in order, each record once
    assert report["inputs"] == len(reference["summaries"])
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


KILLED_RUN = """
import os, signal, sys
from renovml.dask import predict_partitioned

def stop_after_three(entry, seen=[]):
    seen.append(entry)
    if len(seen) == 3:  # the run, its cluster and its workers die at once
        os.killpg(os.getpgid(0), signal.SIGKILL)

if __name__ == "__main__":
    out, block, *paths = sys.argv[1:]
    predict_partitioned(paths, out, scheduler="local:2", blocksize=int(block),
                        on_partition=stop_after_three)
"""


@pytest.mark.dask
def test_resume_after_a_kill_rewrites_only_unfinished_partitions(client, corpus, reference,
                                                                 tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(KILLED_RUN), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(out), str(BLOCK), *corpus],
                          start_new_session=True, capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    finished = _finished(out)
    assert len(finished) == 3
    before = {i: (out / e["file"]).stat() for i, e in finished.items()}
    with pytest.raises(RenovmlError, match="not a finished"):
        list(rdask.read_partitioned(out))

    report = rdask.predict_partitioned(corpus, out, scheduler=client, blocksize=BLOCK,
                                       resume=True)
    assert report["skipped_partitions"] == 3
    for i, entry in finished.items():
        after = (out / entry["file"]).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before[i].st_ino, before[i].st_mtime_ns)
    rewritten = [(out / e["file"]).stat().st_mtime_ns for i, e in _finished(out).items()
                 if i not in finished]
    assert len(rewritten) == report["partitions"] - 3
    assert min(rewritten) > max(s.st_mtime_ns for s in before.values())
    assert list(rdask.read_partitioned(out)) == reference["records"]
    assert report["inputs"] == len(reference["summaries"])


@pytest.mark.dask
def test_resume_refuses_other_settings(client, corpus, tmp_path):
    out = tmp_path / "out"
    rdask.predict_partitioned(corpus[:1], out, scheduler=client, blocksize=10**9)
    again = rdask.predict_partitioned(corpus[:1], out, scheduler=client, blocksize=10**9,
                                      resume=True)
    assert again["skipped_partitions"] == again["partitions"] == 1
    # without a blocksize, a resumed run cuts its partitions as the run it continues did
    assert rdask.predict_partitioned(corpus[:1], out, scheduler=client,
                                     resume=True)["skipped_partitions"] == 1
    with pytest.raises(RenovmlError, match="differs in blocksize"):
        rdask.predict_partitioned(corpus[:1], out, scheduler=client, blocksize=BLOCK,
                                  resume=True)
    with pytest.raises(RenovmlError, match="differs in unit"):
        rdask.predict_partitioned(corpus[:1], out, scheduler=client, unit="sentence",
                                  resume=True)


# --- the command line: renovml predict --scheduler -----------------------------------------

needs_cli = pytest.mark.skipif(
    not hasattr(build_parser().parse_known_args(["predict", "x"])[0], "scheduler"),
    reason="renovml/cli.py has no --scheduler option yet")


@needs_cli
@pytest.mark.dask
def test_cli_scheduler_writes_parts_summary_and_resumes(client, corpus, reference, tmp_path):
    out, summary = tmp_path / "out", tmp_path / "summary.jsonl"
    args = ["predict", *corpus, "-o", str(out), "--scheduler", client.scheduler.address,
            "--partition-mb", str(BLOCK / 2**20), "--summary", str(summary), "-q"]
    assert main(args) == 1  # failing inputs, as without --scheduler
    assert list(rdask.read_partitioned(out)) == reference["records"]
    assert summary.read_bytes() == reference["summary_bytes"]
    parts = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.jsonl")}
    assert len(parts) > 10
    assert main([*args, "--resume"]) == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.jsonl")} == parts


@needs_cli
@pytest.mark.parametrize("extra, message", [
    ([], "needs --output DIR"),
    (["-o", "OUT", "--format", "csv"], "jsonl or parquet"),
    (["-", "-o", "OUT"], "standard input"),
])
def test_cli_scheduler_refuses_before_starting_a_cluster(corpus, tmp_path, capsys, extra, message):
    extra = [str(tmp_path / "out") if x == "OUT" else x for x in extra]
    assert main(["predict", corpus[0], *extra, "--scheduler", "local:1", "-q"]) == 2
    assert not (tmp_path / "out").exists()
    assert message in capsys.readouterr().err


@needs_cli
def test_cli_parquet_needs_a_scheduler(corpus, tmp_path, capsys):
    assert main(["predict", corpus[0], "-o", str(tmp_path / "x.jsonl"), "--format", "parquet"]) == 2
    assert "need --scheduler" in capsys.readouterr().err
