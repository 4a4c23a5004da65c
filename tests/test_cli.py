"""The command line, called through main([...]) and once through the installed script."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEED_PATHS

from renovml.cli import main
from renovml.themes import THEMES

HTML = """<html><head><title>页面</title><script>var a = "<p>";</script></head><body>
<div class="nav"><a href="/">首页</a><a href="/news">新闻</a></div>
<div id="content"><h1>某区推进老旧小区改造</h1>
<p>区里争取中央补助资金5000万元，用于老旧小区改造。</p>
<p>改造内容包括加装电梯、更新雨污管网和增设充电桩。</p></div>
<div class="footer">版权所有 © 某区政府网站</div></body></html>"""

TRAD = "嶗山區召開城市更新動員大會，爭取專項債資金支持老舊小區改造，加裝電梯二十部。"
SIMP = "区政府引入专业物业服务企业，建立长效管理机制，防止改造成果出现反弹。"


def _jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def _run(*args):
    return main(["predict", *map(str, args), "--quiet", "--jobs", "1"])


def test_predict_seed_jsonl(tmp_path):
    out = tmp_path / "out.jsonl"
    assert _run(SEED_PATHS[1], "-o", out) == 0
    records = _jsonl(out)
    assert records
    for r in records:
        assert r["article_id"] == str(SEED_PATHS[1])
        assert r["unit"] == "paragraph"
        assert set(r["themes"]) <= set(THEMES)
        assert all(0.0 <= r[f"score_{t}"] <= 1.0 for t in THEMES)
        assert r["end"] > r["start"]
    assert not (tmp_path / "out.jsonl.part").exists()


def test_predict_csv_loads_with_csv_module(tmp_path):
    out = tmp_path / "out.csv"
    assert _run(*SEED_PATHS, "-o", out, "--unit", "sentence") == 0
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["article_id"] for r in rows} == {str(p) for p in SEED_PATHS}
    assert all(r["unit"] == "sentence" for r in rows)
    assert all(float(r["score_funding"]) >= 0 for r in rows)


def test_predict_tsv(tmp_path):
    out = tmp_path / "out.tsv"
    assert _run(SEED_PATHS[0], "-o", out) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")), delimiter="\t"))
    assert rows and rows[0]["section_id"] == "p0"


def test_every_input_kind(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(SIMP, encoding="utf-8")
    (folder / "sub" / "b.html").write_text(HTML, encoding="utf-8")
    (folder / "c.htm").write_text(HTML.replace("5000", "6000"), encoding="utf-8")
    (folder / "d.jsonl").write_text(
        json.dumps({"doc": "j1", "body": TRAD}, ensure_ascii=False) + "\n", encoding="utf-8")
    with open(folder / "e.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["doc", "body"], ["c1", SIMP + "另外"], ["c2", TRAD + "此外"]])
    with open(folder / "f.tsv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows([["doc", "body"], ["t1", "小区" + SIMP]])
    (folder / "ignored.png").write_bytes(b"\x89PNG")
    out = tmp_path / "out.jsonl"
    assert _run(folder, "-o", out, "--text-field", "body", "--id-field", "doc") == 0
    ids = {r["article_id"] for r in _jsonl(out)}
    assert ids == {str(folder / "a.txt"), str(folder / "sub" / "b.html"), str(folder / "c.htm"),
                   "j1", "c1", "c2", "t1"}
    html_text = " ".join(r["text"] for r in _jsonl(out) if r["article_id"].endswith("b.html"))
    assert "中央补助资金5000万元" in html_text
    assert "首页" not in html_text and "版权所有" not in html_text and "var a" not in html_text


def test_glob_pattern(tmp_path):
    for i in range(3):
        (tmp_path / f"a{i}.txt").write_text(SIMP + str(i), encoding="utf-8")
    (tmp_path / "b.txt").write_text(SIMP, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _run(str(tmp_path / "a*.txt"), "-o", out) == 0
    assert {Path(r["article_id"]).name for r in _jsonl(out)} == {"a0.txt", "a1.txt", "a2.txt"}


def test_stdin_text_and_jsonl(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(SIMP))
    assert main(["predict", "-", "--quiet", "--jobs", "1"]) == 0
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert records and records[0]["article_id"] == "-"
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        json.dumps({"id": "x1", "text": SIMP}, ensure_ascii=False) + "\n"))
    assert main(["predict", "-", "--quiet", "--jobs", "1", "--id-field", "id"]) == 0
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["article_id"] for r in records] == ["x1"]


def test_bad_files_are_reported_and_good_ones_kept(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x89PNG" * 100)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "gb.txt").write_bytes(SIMP.encode("gb18030"))
    (folder / "big5.txt").write_bytes(TRAD.encode("big5"))
    (folder / "records.jsonl").write_text(
        json.dumps({"text": SIMP + "一"}, ensure_ascii=False) + "\n{broken\n"
        + json.dumps({"text": SIMP + "二"}, ensure_ascii=False) + "\n"
        + json.dumps({"body": "no text field"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _run(folder, "-o", out) == 1
    records = _jsonl(out)
    errors = {r["article_id"]: r["error"] for r in records if "error" in r}
    assert set(errors) == {str(folder / "binary.txt"), str(folder / "empty.txt"),
                           f"{folder / 'records.jsonl'}:2", f"{folder / 'records.jsonl'}:4"}
    assert "binary" in errors[str(folder / "binary.txt")]
    assert "empty" in errors[str(folder / "empty.txt")]
    assert "not valid JSON" in errors[f"{folder / 'records.jsonl'}:2"]
    assert "no text field 'text'" in errors[f"{folder / 'records.jsonl'}:4"]
    good = {r["article_id"] for r in records if "error" not in r}
    assert good == {str(folder / "gb.txt"), str(folder / "big5.txt"),
                    f"{folder / 'records.jsonl'}:1", f"{folder / 'records.jsonl'}:3"}
    gb_text = "".join(r["text"] for r in records if r["article_id"].endswith("gb.txt"))
    assert "长效管理机制" in gb_text
    big5_text = "".join(r["text"] for r in records if r["article_id"].endswith("big5.txt"))
    assert "专项债资金" in big5_text  # decoded from Big5 and simplified
    err = capsys.readouterr().err
    assert "4 failed" in err and "binary.txt" in err


def test_missing_file_is_an_error_record(tmp_path):
    out = tmp_path / "out.jsonl"
    assert _run(tmp_path / "nope.txt", SEED_PATHS[0], "-o", out) == 1
    records = _jsonl(out)
    assert records[0] == {"article_id": str(tmp_path / "nope.txt"),
                          "error": f"{tmp_path / 'nope.txt'}: no such file"}
    assert len(records) > 1


def _articles(folder: Path, n: int) -> None:
    folder.mkdir()
    seeds = [p.read_text(encoding="utf-8") for p in SEED_PATHS]
    for i in range(n):
        (folder / f"{i:03d}.txt").write_text(seeds[i % 5] + f"\n第{i}篇。", encoding="utf-8")


def test_jobs_2_gives_the_same_records_as_jobs_1(tmp_path):
    _articles(tmp_path / "in", 12)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["predict", str(tmp_path / "in"), "-o", str(one), "-q", "-j", "1"]) == 0
    assert main(["predict", str(tmp_path / "in"), "-o", str(two), "-q", "-j", "2"]) == 0
    assert _jsonl(one) == _jsonl(two)


def test_resume_after_a_cut_off_write(tmp_path):
    _articles(tmp_path / "in", 8)
    full = tmp_path / "full.jsonl"
    assert _run(tmp_path / "in", "-o", full) == 0
    lines = full.read_text(encoding="utf-8").splitlines(keepends=True)
    # An interrupted run: half the records, the last one cut mid-line, never renamed.
    out = tmp_path / "out.jsonl"
    part = tmp_path / "out.jsonl.part"
    part.write_text("".join(lines[: len(lines) // 2]) + lines[len(lines) // 2][:20],
                    encoding="utf-8")
    # Without its run manifest a .part cannot say which inputs it holds: refused.
    assert _run(tmp_path / "in", "-o", out, "--resume") == 2
    # The manifest may list inputs whose records the .part lost: they are redone.
    shutil.copyfile(tmp_path / "full.jsonl.manifest", tmp_path / "out.jsonl.manifest")
    assert _run(tmp_path / "in", "-o", out, "--resume") == 0
    assert out.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")
    assert not part.exists()


def test_resume_of_a_finished_csv_adds_only_new_articles(tmp_path):
    _articles(tmp_path / "in", 4)
    out = tmp_path / "out.csv"
    assert _run(tmp_path / "in", "-o", out) == 0
    before = list(csv.DictReader(open(out, encoding="utf-8", newline="")))
    (tmp_path / "in" / "999.txt").write_text(SIMP, encoding="utf-8")
    assert _run(tmp_path / "in", "-o", out, "--resume") == 0
    after = list(csv.DictReader(open(out, encoding="utf-8", newline="")))
    assert after[: len(before)] == before
    assert {r["article_id"] for r in after[len(before):]} == {str(tmp_path / "in" / "999.txt")}


def test_resume_after_the_process_is_killed(tmp_path):
    _articles(tmp_path / "in", 150)
    full = tmp_path / "full.jsonl"
    assert _run(tmp_path / "in", "-o", full) == 0
    out = tmp_path / "out.jsonl"
    part = tmp_path / "out.jsonl.part"
    cmd = [sys.executable, "-m", "renovml", "predict", str(tmp_path / "in"), "-o", str(out),
           "-q", "-j", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not part.exists() or part.stat().st_size < 20000):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert part.exists() and not out.exists(), "the run must be killed halfway"
    assert _run(tmp_path / "in", "-o", out, "--resume") == 0
    records, expected = _jsonl(out), _jsonl(full)
    assert records == expected
    ids = [(r["article_id"], r["section_id"]) for r in records]
    assert len(ids) == len(set(ids))


def test_summary_file(tmp_path):
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.csv"
    assert _run(*SEED_PATHS[:2], tmp_path / "nope.txt", "-o", out, "--summary", summary) == 1
    rows = list(csv.DictReader(open(summary, encoding="utf-8", newline="")))
    assert [r["article_id"] for r in rows] == [str(SEED_PATHS[0]), str(SEED_PATHS[1]),
                                               str(tmp_path / "nope.txt")]
    records = _jsonl(out)
    for row in rows[:2]:
        mine = [r for r in records if r["article_id"] == row["article_id"]]
        assert int(row["n_sections"]) == len(mine)
        for t in THEMES:
            assert float(row[f"share_{t}"]) == pytest.approx(
                sum(t in r["themes"] for r in mine) / len(mine), abs=1e-4)
    assert rows[2]["error"]


def test_threshold_override_and_explain(tmp_path):
    out = tmp_path / "out.jsonl"
    args = [SEED_PATHS[3], "-o", out, "--explain", "3"] + [
        x for t in THEMES for x in ("--threshold", f"{t}=0")]
    assert _run(*args) == 0
    for r in _jsonl(out):
        assert r["themes"] == list(THEMES)
        assert set(r["explain"]) == set(THEMES)
        for terms in r["explain"].values():
            assert len(terms) <= 3
            assert all(term.lower() in r["text"].lower() for term, _ in terms)


@pytest.mark.parametrize("bad", ["money=0.5", "funding=2", "funding=x", "funding"])
def test_bad_threshold_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(SEED_PATHS[0]), "--threshold", bad])
    assert exc.value.code == 2
    assert "THEME=VALUE" in capsys.readouterr().err or "threshold" in capsys.readouterr().err


def test_bad_model_path_is_a_clear_error(tmp_path, capsys):
    assert main(["predict", str(SEED_PATHS[0]), "--model", str(tmp_path / "m.joblib")]) == 2
    assert "no model artifact there" in capsys.readouterr().err


def test_eval_prints_per_theme_scores(capsys):
    assert main(["eval", str(ROOT / "seeds" / "corpus" / "seeds.jsonl")]) == 0
    out = capsys.readouterr().out
    for word in ("sentence", "paragraph", "macro-F1", *THEMES):
        assert word in out


def test_eval_json(capsys):
    assert main(["eval", str(ROOT / "seeds" / "corpus" / "seeds.jsonl"), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["articles"] == 5
    assert 0.0 <= result["paragraph"]["macro_f1"] <= 1.0


def test_installed_console_script(tmp_path):
    script = shutil.which("renovml", path=os.path.dirname(sys.executable)) or shutil.which("renovml")
    assert script, "the renovml console script is not installed"
    out = tmp_path / "out.jsonl"
    done = subprocess.run([script, "predict", str(SEED_PATHS[2]), "-o", str(out), "-q", "-j", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _jsonl(out)
    assert "tagged 1 articles" in done.stderr


def test_python_dash_m(tmp_path):
    done = subprocess.run([sys.executable, "-m", "renovml", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "predict" in done.stdout


def test_stdin_bytes_in_gb18030(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SIMP.encode("gb18030"))))
    assert main(["predict", "-", "--quiet", "--jobs", "1", "--unit", "sentence"]) == 0
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "".join(r["text"] for r in records) == SIMP


@pytest.mark.parametrize("option", [["--resume"], ["--summary", "s.csv"]])
def test_options_that_need_an_output_file(option, capsys):
    assert main(["predict", str(SEED_PATHS[0]), "-q", *option]) == 2
    assert "needs --output FILE" in capsys.readouterr().err


def test_records_file_in_gb18030_is_streamed_and_decoded(tmp_path):
    path = tmp_path / "dump.csv"
    rows = "id,text\n" + "".join(f"r{i},{SIMP}第{i}条。\n" for i in range(50))
    path.write_bytes(rows.encode("gb18030"))
    out = tmp_path / "out.jsonl"
    assert _run(path, "-o", out, "--id-field", "id") == 0
    records = _jsonl(out)
    assert [r["article_id"] for r in records] == [f"r{i}" for i in range(50)]
    assert "长效管理机制" in records[0]["text"]


def test_open_text_detects_encoding_from_the_head_only(tmp_path):
    from renovml.text.encoding import open_text

    path = tmp_path / "big5.jsonl"
    line = json.dumps({"text": TRAD}, ensure_ascii=False) + "\n"
    path.write_bytes((line * 200).encode("big5"))
    with open_text(path, sniff_bytes=300) as handle:  # the head is cut back to a line end
        assert handle.encoding == "cp950"
        assert sum(1 for _ in handle) == 200


def test_a_run_without_a_progress_bar_does_not_import_tqdm(tmp_path):
    # Standard error is no terminal here: nothing to draw, so nothing to import.
    code = ("import sys; from renovml.cli import main; "
            f"code = main(['predict', {str(SEED_PATHS[0])!r}, '-o', {str(tmp_path / 'o.jsonl')!r}]); "
            "print(code, 'tqdm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    assert done.stdout.split() == ["0", "False"]


def test_the_progress_bar_is_tqdms_when_there_is_one_to_draw():
    from renovml.cli import _progress

    bar = _progress(disable=False, unit=" articles", file=io.StringIO())
    assert type(bar).__module__.startswith("tqdm")
    bar.update()
    bar.close()
