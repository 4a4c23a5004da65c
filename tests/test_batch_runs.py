"""Batch runs that lose nothing: every input record ends as exactly one outcome, whatever
the ids, the path spellings, the interruptions, the file names and the outputs."""

import codecs
import csv
import errno
import io
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import SEED_PATHS
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import renovml.cli as cli
from renovml.cli import main

SIMP = "区政府引入专业物业服务企业，建立长效管理机制，防止改造成果出现反弹。"
FUND = "争取中央补助资金五千万元，用于老旧小区加装电梯和雨污管网改造。"


def _jsonl(path):
    """Records of a JSONL output, read by "\\n" only (as JSONL is defined)."""
    data = Path(path).read_bytes().decode("utf-8")
    return [json.loads(line) for line in data.split("\n") if line]


def _run(*args):
    return main(["predict", *map(str, args), "--quiet", "--jobs", "1"])


def _articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = [p.read_text(encoding="utf-8") for p in SEED_PATHS]
    paths = []
    for i in range(n):
        path = folder / f"{i:03d}.txt"
        path.write_text(seeds[i % 5] + f"\n第{i}篇。", encoding="utf-8")
        paths.append(path)
    return paths


def _repeated_id_dump(path: Path, n: int = 24) -> None:
    """A crawler dump whose ids (URLs) repeat."""
    seeds = [p.read_text(encoding="utf-8") for p in SEED_PATHS]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = seeds[i % 5].split("\n")[i % 3] + f"第{i}条。" + SIMP
            fh.write(json.dumps({"id": f"https://example.org/{i % 4}", "text": text},
                                ensure_ascii=False) + "\n")


def _cli(*args, cwd=None, preexec_fn=None, **kw):
    cmd = [sys.executable, "-m", "renovml", "predict", *map(str, args), "-q"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600,
                          preexec_fn=preexec_fn, **kw)


def _start(*args, cwd=None):
    """A run in the background; its standard error goes to a file (``proc.err``), so a
    full pipe can never block it."""
    cmd = [sys.executable, "-m", "renovml", "predict", *map(str, args), "-q"]
    err = tempfile.TemporaryFile("w+", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
    proc.err = err
    return proc


def _stderr(proc) -> str:
    proc.err.seek(0)
    return proc.err.read()


def _wait_for_size(path: Path, size: int, proc) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.stat().st_size >= size:
            return
        time.sleep(0.005)
    raise AssertionError(f"{path} never reached {size} bytes (exit {proc.poll()})")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- 1. integrity of a run ---------------------------------------------------------

def _cut_inside_a_character(data: bytes, near: int) -> int:
    """An offset at or after ``near`` that lands inside a multi-byte UTF-8 character."""
    for cut in range(near, len(data)):
        if data[cut] & 0xC0 == 0x80:
            return cut
    raise AssertionError("no multi-byte character after the offset")


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_full_disk_inside_a_character_stops_cleanly_and_resumes(tmp_path):
    """Why: --resume crashed with UnicodeDecodeError when .part ended inside a UTF-8
    character; a full disk gave a raw traceback."""
    _articles(tmp_path / "in", 6)
    full = tmp_path / "full.jsonl"
    assert _run(tmp_path / "in", "-o", full) == 0
    cut = _cut_inside_a_character(full.read_bytes(), full.stat().st_size // 2)

    def limit_file_size():  # writes past `cut` bytes fail (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (cut, cut))

    out = tmp_path / "out.jsonl"
    done = _cli(tmp_path / "in", "-o", out, "-j", "1", preexec_fn=limit_file_size)
    part = tmp_path / "out.jsonl.part"
    assert done.returncode == cli.EXIT_STOPPED, done.stderr
    assert "Traceback" not in done.stderr
    assert "failed" in done.stderr and "--resume" in done.stderr
    assert part.exists() and not out.exists()
    assert part.stat().st_size == cut  # the run stopped with a character cut in two
    with pytest.raises(UnicodeDecodeError):
        part.read_bytes().decode("utf-8")

    assert _run(tmp_path / "in", "-o", out, "--resume") == 0
    assert out.read_bytes() == full.read_bytes()


def test_resume_with_repeated_ids_and_another_path_spelling(tmp_path, monkeypatch, capsys):
    """Why: with duplicate ids --resume lost records and exited 0; resuming with ./data
    instead of data duplicated every record."""
    (tmp_path / "data").mkdir()
    _repeated_id_dump(tmp_path / "data" / "dump.jsonl")
    monkeypatch.chdir(tmp_path)
    assert _run("data", "-o", "full.jsonl") == 0
    full = _jsonl(tmp_path / "full.jsonl")
    assert len({r["article_id"] for r in full}) == 4  # ids repeat; the records do not

    # Interrupt after 10 of the 24 records were written, the 11th cut in half.
    _fail_writes_after(monkeypatch, 11, keep=0.5)
    assert _run("data", "-o", "out.jsonl") == cli.EXIT_STOPPED
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert _run("./data/", "-o", "out.jsonl", "--resume") == 0
    assert _jsonl(tmp_path / "out.jsonl") == full
    err = capsys.readouterr().err
    assert "24 inputs: tagged 14 articles" in err and "10 skipped as already done" in err


def _fail_writes_after(monkeypatch, n_ok: int, keep: float = 0.0, err: int = errno.ENOSPC):
    """Make the output's writes fail after ``n_ok`` of them, the failing one writing
    ``keep`` of its bytes first (a disk that fills up mid-record)."""
    real = cli._write_all
    calls = {"n": 0}

    def failing(fd, data):
        calls["n"] += 1
        if calls["n"] > n_ok:
            real(fd, data[: int(len(data) * keep)])
            raise OSError(err, os.strerror(err))
        real(fd, data)

    monkeypatch.setattr(cli, "_write_all", failing)


def test_write_error_leaves_a_resumable_part_and_says_so(tmp_path, monkeypatch, capsys):
    """Why: a full disk gave a raw traceback."""
    paths = _articles(tmp_path / "in", 5)
    full = tmp_path / "full.csv"
    assert _run(*paths, "-o", full) == 0
    out = tmp_path / "out.csv"
    _fail_writes_after(monkeypatch, 3, keep=0.3)  # header + 2 articles, then a full disk
    assert _run(*paths, "-o", out) == cli.EXIT_STOPPED
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err and "out.csv.part" in err
    assert not out.exists() and (tmp_path / "out.csv.part").exists()
    monkeypatch.undo()
    assert _run(*paths, "-o", out, "--resume") == 0
    assert out.read_bytes() == full.read_bytes()
    assert "5 inputs: tagged 3 articles" in capsys.readouterr().err


def test_counts_add_up_and_summary_has_one_row_per_input(tmp_path, capsys):
    dump = tmp_path / "dump.jsonl"
    _repeated_id_dump(dump, n=6)
    with open(dump, "a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.csv"
    assert _run(dump, tmp_path / "missing.txt", "-o", out, "--summary", summary) == 1
    err = capsys.readouterr().err
    assert "8 inputs: tagged 6 articles" in err and "2 failed, 0 skipped" in err
    rows = list(csv.DictReader(open(summary, encoding="utf-8", newline="")))
    # Two inputs with one id are two rows, each counting its own sections only.
    assert len(rows) == 8
    assert [r["article_id"] for r in rows[:6]] == [f"https://example.org/{i % 4}"
                                                   for i in range(6)]
    records = _jsonl(out)
    assert sum(int(r["n_sections"]) for r in rows) == sum("error" not in r for r in records)
    assert [bool(r["error"]) for r in rows] == [False] * 6 + [True, True]


def test_empty_body_after_cleaning_is_an_error_record(tmp_path):
    """Issue 9: an article that cleaning empties is an error, never zero records."""
    chrome = tmp_path / "chrome.txt"
    chrome.write_text("<p></p><div>&nbsp;</div>\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _run(chrome, SEED_PATHS[0], "-o", out) == 1
    records = _jsonl(out)
    assert records[0] == {"article_id": str(chrome),
                          "error": f"{chrome}: no body text after cleaning"}
    assert all("error" not in r for r in records[1:]) and len(records) > 1


# --- the property: interrupted and resumed runs equal the uninterrupted one -----------

@pytest.fixture(scope="module")
def property_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("prop")
    (root / "data").mkdir()
    _repeated_id_dump(root / "data" / "dump.jsonl", n=8)
    (root / "data" / "a.txt").write_text(SIMP + "\n" + FUND, encoding="utf-8")
    (root / "data" / "broken.txt").write_bytes(b"\x00\x01binary")
    old = os.getcwd()
    os.chdir(root)
    try:
        assert _run("data", "-o", "full.jsonl", "--unit", "sentence") == 1
    finally:
        os.chdir(old)
    return root


# Spellings of one directory; ids name files by their normalised relative path.
SPELLINGS = ["data", "./data", "data/", "./data//", "data/../data"]


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.integers(1, 12), st.floats(0, 1), st.sampled_from(SPELLINGS),
                               st.booleans()), max_size=3),
       last=st.sampled_from(SPELLINGS))
def test_kills_and_resumes_give_the_uninterrupted_output(property_inputs, plan, last,
                                                         monkeypatch):
    root = property_inputs
    monkeypatch.chdir(root)
    for leftover in root.glob("out.jsonl*"):
        leftover.unlink()
    resume = []
    for n_ok, keep, spelling, by_signal in plan:
        with monkeypatch.context() as m:
            if by_signal:  # SIGTERM arriving in the middle of a write
                real = cli._write_all
                calls = {"n": 0}

                def killing(fd, data, real=real, calls=calls, n_ok=n_ok, keep=keep):
                    calls["n"] += 1
                    if calls["n"] > n_ok:
                        real(fd, data[: int(len(data) * keep)])
                        os.kill(os.getpid(), signal.SIGTERM)
                    real(fd, data)

                m.setattr(cli, "_write_all", killing)
            else:
                _fail_writes_after(m, n_ok, keep)
            code = _run(spelling, "-o", "out.jsonl", "--unit", "sentence",
                        *resume)
        assert code in (1, cli.EXIT_STOPPED, 128 + signal.SIGTERM)
        resume = ["--resume"]
    assert _run(last, "-o", "out.jsonl", "--unit", "sentence", *resume) == 1
    assert _jsonl(root / "out.jsonl") == _jsonl(root / "full.jsonl")


# --- 2. safe outputs ------------------------------------------------------------

def test_output_equal_to_an_input_is_refused(tmp_path, capsys):
    """Why: -o equal to an input overwrote the input."""
    data = tmp_path / "dump.jsonl"
    _repeated_id_dump(data, n=2)
    before = data.read_bytes()
    assert _run(data, "-o", data) == 2
    assert "is also an input" in capsys.readouterr().err
    assert data.read_bytes() == before
    (tmp_path / "in").mkdir()
    shutil.copy(SEED_PATHS[0], tmp_path / "in" / "a.txt")
    assert _run(tmp_path / "in", "-o", tmp_path / "in" / "out.jsonl") == 2
    assert "inside the input directory" in capsys.readouterr().err


def test_summary_equal_to_output_is_refused(tmp_path, capsys):
    """Why: --summary equal to -o replaced the section output."""
    out = tmp_path / "out.jsonl"
    assert _run(SEED_PATHS[0], "-o", out, "--summary", tmp_path / "." / "out.jsonl") == 2
    assert "same file as --output" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory", "missing-directory"])
def test_outputs_that_cannot_be_written_safely_are_refused_before_work(kind, tmp_path, capsys,
                                                                       monkeypatch):
    """Why: -o naming a symlink or FIFO replaced it with a regular file; a missing output
    directory or -o naming a directory gave a traceback, the last after all the work."""
    target = tmp_path / "out.jsonl"
    if kind == "symlink":
        (tmp_path / "real.jsonl").write_text("keep\n", encoding="utf-8")
        target.symlink_to(tmp_path / "real.jsonl")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        target = tmp_path / "nope" / "out.jsonl"
    monkeypatch.setattr("renovml.load", lambda *a, **k: pytest.fail("work started"))
    for option in (["-o", target], ["-o", tmp_path / "ok.jsonl", "--summary", target]):
        assert _run(SEED_PATHS[0], *option) == 2
        err = capsys.readouterr().err
        assert str(target) in err
        assert {"symlink": "symbolic link", "fifo": "not a regular file",
                "directory": "is a directory", "missing-directory": "does not exist"}[kind] in err
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "real.jsonl").read_text() == "keep\n"
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_dev_null_and_dash_are_accepted(capsys):
    assert _run(SEED_PATHS[0], "-o", os.devnull) == 0
    assert capsys.readouterr().out == ""
    assert _run(SEED_PATHS[0], "-o", "-") == 0
    assert json.loads(capsys.readouterr().out.split("\n")[0])["article_id"] == str(SEED_PATHS[0])


def test_a_concurrent_second_run_on_the_same_output_is_refused(tmp_path, capsys):
    """Why: two runs with the same -o silently corrupted each other."""
    _articles(tmp_path / "in", 60)
    full = tmp_path / "full.jsonl"
    out = tmp_path / "out.jsonl"
    first = _start(tmp_path / "in", "-o", out, "-j", "1")
    _wait_for_size(tmp_path / "out.jsonl.part", 1, first)
    assert _run(tmp_path / "in", "-o", out) == 2
    assert "another run is writing" in capsys.readouterr().err
    assert first.wait(timeout=600) == 0, _stderr(first)
    assert _run(tmp_path / "in", "-o", full) == 0
    assert out.read_bytes() == full.read_bytes()


# --- 3. input walking -----------------------------------------------------------

def test_file_names_that_are_not_utf8(tmp_path):
    """Why: a file name that is not valid UTF-8 aborted the whole batch."""
    folder = tmp_path / "in"
    folder.mkdir()
    raw_name = os.fsencode(folder) + b"/\xff\xfe\xb2\xe2.txt"  # GBK bytes, not UTF-8
    with open(raw_name, "wb") as fh:
        fh.write(SIMP.encode("utf-8"))
    name = os.fsdecode(raw_name)
    out = tmp_path / "out.jsonl"
    assert _run(folder, "-o", out) == 0
    records = _jsonl(out)
    assert records and {r["article_id"] for r in records} == {name}
    csv_out = tmp_path / "out.csv"
    assert _run(folder, "-o", csv_out, "--summary", tmp_path / "s.jsonl") == 0
    rows = list(csv.DictReader(open(csv_out, encoding="utf-8", newline="")))
    assert {r["article_id"] for r in rows} == {name.encode("utf-8", "backslashreplace").decode()}
    assert _jsonl(tmp_path / "s.jsonl")[0]["article_id"] == name


def test_lone_surrogate_in_an_id(tmp_path):
    """Why: a lone surrogate in an id aborted the whole batch."""
    dump = tmp_path / "dump.jsonl"
    lines = [json.dumps({"id": "a\ud800b", "text": SIMP}), json.dumps({"id": "ok", "text": FUND})]
    assert "\\ud800" in lines[0]  # JSON's escape of the lone surrogate
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for out in (tmp_path / "out.jsonl", tmp_path / "out.tsv"):
        assert _run(dump, "-o", out) == 0
        out.read_bytes().decode("utf-8")  # valid UTF-8 throughout
    assert [r["article_id"] for r in _jsonl(tmp_path / "out.jsonl")] == ["a\ud800b", "ok"]
    rows = list(csv.DictReader(open(tmp_path / "out.tsv", encoding="utf-8"), delimiter="\t"))
    assert [r["article_id"] for r in rows] == ["a\\ud800b", "ok"]


@pytest.mark.parametrize("as_glob", [False, True])
def test_symlink_loops_are_walked_once(tmp_path, as_glob):
    """Why: a recursive glob followed a symlink loop, tagging one file 41 times."""
    top = tmp_path / "pages"
    (top / "a" / "b").mkdir(parents=True)
    (top / "a" / "one.txt").write_text(SIMP, encoding="utf-8")
    (top / "a" / "b" / "two.txt").write_text(FUND, encoding="utf-8")
    (top / "a" / "b" / "up").symlink_to(top / "a")  # a loop
    (top / "again").symlink_to(top / "a" / "b")  # the same directory twice
    out = tmp_path / "out.jsonl"
    named = str(top / "**" / "*.txt") if as_glob else str(top)
    assert _run(named, "-o", out) == 0
    ids = [r["article_id"] for r in _jsonl(out)]
    assert sorted(Path(i).name for i in ids) == ["one.txt", "two.txt"]


def test_a_path_through_dot_dot_past_a_symlink_reads_the_file_it_names(tmp_path, monkeypatch):
    """Why: link/../f.txt was shortened to f.txt as text, so another file was read than the
    one the path names (past the symlink, .. leads elsewhere), and --resume's key (that
    path's real file) disagreed with what was read."""
    (tmp_path / "work").mkdir()
    (tmp_path / "x" / "sub").mkdir(parents=True)
    (tmp_path / "work" / "f.txt").write_text(SIMP, encoding="utf-8")
    (tmp_path / "x" / "f.txt").write_text(FUND, encoding="utf-8")
    (tmp_path / "work" / "link").symlink_to(tmp_path / "x" / "sub")
    monkeypatch.chdir(tmp_path / "work")
    assert Path("link/../f.txt").read_text(encoding="utf-8") == FUND  # what the OS opens
    out = tmp_path / "out.jsonl"
    assert _run("link/../f.txt", "./f.txt", "-o", out) == 0
    records = _jsonl(out)
    assert [(r["article_id"], r["text"]) for r in records] == [("link/../f.txt", FUND),
                                                                 ("f.txt", SIMP)]
    manifest = [json.loads(line) for line in
                (tmp_path / "out.jsonl.manifest").read_text(encoding="utf-8").splitlines()[1:]]
    assert [e["key"] for e in manifest] == [str(tmp_path / "x" / "f.txt"),
                                            str(tmp_path / "work" / "f.txt")]


def _unreadable_tree(base: Path) -> Path:
    top = base / "pages"
    (top / "locked").mkdir(parents=True)
    (top / "ok.txt").write_text(SIMP, encoding="utf-8")
    (top / "secret.txt").write_text(FUND, encoding="utf-8")
    (top / "locked" / "inner.txt").write_text(FUND, encoding="utf-8")
    os.chmod(top / "secret.txt", 0)
    os.chmod(top / "locked", 0)
    return top


def _check_unreadable(records, top: Path):
    errors = {r["article_id"]: r["error"] for r in records if "error" in r}
    assert set(errors) == {str(top / "locked"), str(top / "secret.txt")}
    assert "directory cannot be read" in errors[str(top / "locked")]
    assert "cannot be read" in errors[str(top / "secret.txt")]
    assert {r["article_id"] for r in records if "error" not in r} == {str(top / "ok.txt")}


def test_unreadable_files_and_directories_are_error_records(tmp_path):
    """Why: an unreadable subdirectory was skipped without a word."""
    if os.geteuid() != 0:
        top = _unreadable_tree(tmp_path)
        out = tmp_path / "out.jsonl"
        try:
            assert _run(top, "-o", out) == 1
        finally:
            os.chmod(top / "locked", 0o755)
        _check_unreadable(_jsonl(out), top)
        return
    # As root every file is readable: run the command as an unprivileged user instead.
    if not hasattr(os, "setuid"):
        pytest.skip("tests run as root and this system cannot switch to another user")
    base = Path(tempfile.mkdtemp(prefix="renovml-perm-"))
    try:
        os.chmod(base, 0o777)
        top = _unreadable_tree(base)

        def as_nobody():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)

        try:
            probe = subprocess.run([sys.executable, "-c", "import renovml.cli"], cwd=base,
                                   preexec_fn=as_nobody, capture_output=True, timeout=120)
        except OSError:  # the interpreter itself is out of the unprivileged user's reach
            probe = None
        if probe is None or probe.returncode != 0:
            pytest.skip("tests run as root, and an unprivileged user cannot import renovml "
                        "here, so no file can be made unreadable")
        out = base / "out.jsonl"
        done = _cli(top, "-o", out, "-j", "1", cwd=base, preexec_fn=as_nobody)
        assert done.returncode == 1, done.stderr
        _check_unreadable(_jsonl(out), top)
    finally:
        os.chmod(base / "pages" / "locked", 0o755)
        shutil.rmtree(base)


def test_a_directory_that_cannot_be_listed_is_an_error_record(tmp_path, monkeypatch):
    """Why: an unreadable subdirectory was skipped without a word (the listing refused as
    it is for a user without read permission, which root never is)."""
    import renovml.batch as batch

    top = tmp_path / "pages"
    (top / "locked").mkdir(parents=True)
    (top / "locked" / "inner.txt").write_text(FUND, encoding="utf-8")
    (top / "ok.txt").write_text(SIMP, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if str(path) == str(top / "locked"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(batch.os, "scandir", scandir)
    out = tmp_path / "out.jsonl"
    assert _run(top, "-o", out) == 1
    records = _jsonl(out)
    assert records[-1] == {"article_id": str(top / "locked"),
                           "error": f"{top / 'locked'}: directory cannot be read "
                                    "(Permission denied)"}
    assert {r["article_id"] for r in records[:-1]} == {str(top / "ok.txt")}


def test_jsonl_on_stdin_is_split_at_newlines_only(monkeypatch, capsys):
    """Why: JSONL on standard input was split on U+2028/U+0085 inside valid records."""
    lines = [json.dumps({"id": "u1", "text": SIMP + "\u2028" + FUND}, ensure_ascii=False),
             json.dumps({"id": "u2", "text": FUND + "\u0085" + SIMP}, ensure_ascii=False)]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(
        io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))))
    assert main(["predict", "-", "--quiet", "--jobs", "1"]) == 0
    records = [json.loads(x) for x in capsys.readouterr().out.split("\n") if x]
    assert [r["article_id"] for r in records if "error" in r] == []
    assert {r["article_id"] for r in records} == {"u1", "u2"}


def test_a_records_own_id_field_is_its_id(tmp_path):
    """Why: the default FILE:LINE id ignored a record's own id field."""
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": "doc-7", "text": SIMP}, ensure_ascii=False) + "\n"
                    + json.dumps({"text": FUND}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _run(dump, "-o", out) == 0
    assert [r["article_id"] for r in _jsonl(out)] == ["doc-7", f"{dump}:2"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_utf16_records_file_over_a_mebibyte_is_streamed(tmp_path, suffix):
    """Why: a UTF-16 JSONL/CSV over 1 MiB was rejected."""
    pad = "填" * 300_000  # a field the run does not read, to make the file big
    path = tmp_path / f"dump{suffix}"
    if suffix == ".jsonl":
        text = "".join(json.dumps({"id": f"r{i}", "text": SIMP + str(i), "pad": pad},
                                  ensure_ascii=False) + "\n" for i in range(3))
    else:
        text = "id,pad,text\n" + "".join(f"r{i},{pad},{SIMP}{i}\n" for i in range(3))
    path.write_bytes(text.encode("utf-16"))
    assert path.stat().st_size > 1 << 20
    out = tmp_path / "out.jsonl"
    assert _run(path, "-o", out, "--id-field", "id") == 0
    assert [r["article_id"] for r in _jsonl(out)] == ["r0", "r1", "r2"]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_row_with_an_unbalanced_quote_is_an_error_record(tmp_path, delimiter):
    """Why: a CSV/TSV with an unbalanced quote silently merged rows."""
    d = delimiter
    path = tmp_path / ("dump.csv" if d == "," else "dump.tsv")
    path.write_text(f"id{d}text\nr1{d}{SIMP}\nr2{d}\"{FUND}\nr3{d}{SIMP}又一条。\n",
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _run(path, "-o", out, "--id-field", "id") == 1
    records = _jsonl(out)
    assert {r["article_id"] for r in records if "error" not in r} == {"r1"}
    errors = [r for r in records if "error" in r]
    assert len(errors) == 1 and "unbalanced quote" in errors[0]["error"]
    assert errors[0]["article_id"] == f"{path}:3"


def test_utf32_with_a_bom_is_read_as_utf32(tmp_path):
    """Why: UTF-32 with a BOM was read as UTF-16."""
    for encoding in ("utf-32", "utf-32-be"):
        path = tmp_path / f"{encoding}.txt"
        data = SIMP.encode(encoding)
        if encoding == "utf-32-be":
            data = codecs.BOM_UTF32_BE + data
        path.write_bytes(data)
    out = tmp_path / "out.jsonl"
    assert _run(tmp_path / "utf-32.txt", tmp_path / "utf-32-be.txt", "-o", out) == 0
    assert [r["text"] for r in _jsonl(out)] == [SIMP, SIMP]


def test_open_text_streams_utf32_and_utf16(tmp_path):
    from renovml.text.encoding import open_text

    for encoding in ("utf-16", "utf-32"):
        path = tmp_path / f"{encoding}.jsonl"
        path.write_bytes(("一行中文\n" * 100).encode(encoding))
        with open_text(path, sniff_bytes=301) as handle:  # an odd cut in the middle of a unit
            assert handle.encoding == encoding
            assert list(handle) == ["一行中文\n"] * 100


# --- 4. processes ---------------------------------------------------------------

def test_workers_exit_when_the_parent_is_killed(tmp_path):
    """Why: after kill -9 of the main process the worker processes lived on."""
    _articles(tmp_path / "in", 200)
    proc = _start(tmp_path / "in", "-o", tmp_path / "out.jsonl", "-j", "2")
    _wait_for_size(tmp_path / "out.jsonl.part", 2000, proc)
    workers = _children(proc.pid)
    assert len(workers) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_leave_a_resumable_part(tmp_path, signum):
    """Why: after SIGTERM of the main process the workers lived on and nothing said so."""
    _articles(tmp_path / "in", 80)
    full = tmp_path / "full.jsonl"
    assert _run(tmp_path / "in", "-o", full) == 0
    out = tmp_path / "out.jsonl"
    proc = _start(tmp_path / "in", "-o", out, "-j", "2")
    _wait_for_size(tmp_path / "out.jsonl.part", 5000, proc)
    workers = _children(proc.pid)
    proc.send_signal(signum)
    assert proc.wait(timeout=60) == 128 + signum
    err = _stderr(proc)
    assert "unexpected error" not in err
    assert f"stopped by {signal.Signals(signum).name}" in err and "--resume" in err
    assert "Traceback" not in err
    assert not [w for w in workers if _alive(w)]
    assert _run(tmp_path / "in", "-o", out, "--resume") == 0
    assert out.read_bytes() == full.read_bytes()


def test_negative_explain_is_a_usage_error(capsys):
    """Why: --explain -1 crashed the batch."""
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(SEED_PATHS[0]), "--explain", "-1"])
    assert exc.value.code == 2
    assert "--explain" in capsys.readouterr().err


# --- 5. memory: a huge article in chunks -----------------------------------------

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_chunked_tagging_gives_the_records_of_whole_tagging(tmp_path, monkeypatch, jobs):
    """A huge article is read, cleaned and tagged in pieces (its records spooled to disk,
    in a worker with --jobs 2), with the same result."""
    import renovml.batch as batch

    out_whole, out_chunked = tmp_path / "whole.jsonl", tmp_path / "chunked.jsonl"
    record = tmp_path / "one.jsonl"
    record.write_text(json.dumps({"id": "r", "text": SEED_PATHS[3].read_text(encoding="utf-8")},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    inputs = [*SEED_PATHS[:3], record]
    units = (("paragraph", "2"), ("sentence", "0")) if jobs == "1" else (("paragraph", "0"),)
    for unit, explain in units:
        args = ["--unit", unit, "--explain", explain, "--jobs", jobs]
        assert main(["predict", *map(str, inputs), "-o", str(out_whole), "-q", *args]) == 0
        with monkeypatch.context() as m:
            m.setattr(batch, "LARGE_ARTICLE_CHARS", 10)
            m.setattr(batch, "CHUNK_PARAGRAPHS", 3)
            assert main(["predict", *map(str, inputs), "-o", str(out_chunked), "-q", *args]) == 0
        assert _jsonl(out_chunked) == _jsonl(out_whole)


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_tag_chunks_equals_tag(tiny_model, chunk):
    from renovml.text.sections import Article

    for path in SEED_PATHS:
        article = Article.from_path(path)
        for unit in ("paragraph", "sentence"):
            whole = [s.as_record() for s in tiny_model.tag(article, unit).sections]
            parts = [s.as_record() for part in tiny_model.tag_chunks(
                article, unit, chunk_paragraphs=chunk) for s in part]
            assert parts == whole



# --- 6. workers -----------------------------------------------------------------------

def test_forked_workers_take_the_parents_model_instead_of_loading_it(tmp_path, monkeypatch):
    """--jobs N: the parent loaded the model already; workers forked from it use that copy
    (its tables built once, before the fork) rather than reading the file N more times."""
    import multiprocessing

    import renovml
    import renovml.batch as batch

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("workers are not forked here: each loads the model itself")
    paths = _articles(tmp_path / "in", 6)
    out_one, out_two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["predict", str(tmp_path / "in"), "-o", str(out_one), "-q", "--jobs", "1"]) == 0
    model = renovml.load()

    def no_second_load(*args, **kwargs):
        raise AssertionError("a worker loaded the model file again")

    monkeypatch.setattr(renovml, "load", no_second_load)  # what a forked worker inherits
    init_args = (None, False, "paragraph", {}, 0, "jieba")
    tasks = list(batch.iter_tasks([str(p) for p in paths]))
    results = list(batch.run_tasks(tasks, jobs=2, init_args=init_args, model=model,
                                   batch_size=2, render="jsonl"))
    assert [t.key for t, _ in results] == [t.key for t in tasks]
    out_two.write_text("".join(r.text for _, r in results), encoding="utf-8")
    assert _jsonl(out_two) == _jsonl(out_one)
    assert not batch._inherited  # nothing of this run is left for the next pool


def test_workers_load_their_own_model_when_the_inherited_one_is_for_another_path(
        tmp_path, tiny_model, monkeypatch):
    """A model left for another path (or trust) is not taken by a worker."""
    import renovml.batch as batch

    paths = _articles(tmp_path / "in", 4)
    init_args = (None, False, "paragraph", {}, 0, "jieba")
    tasks = list(batch.iter_tasks([str(p) for p in paths]))
    shipped = list(batch.run_tasks(tasks, jobs=1, init_args=init_args, render="jsonl"))
    monkeypatch.setitem(batch._inherited, "model", ("another.joblib", False, tiny_model))
    pooled = list(batch.run_tasks(tasks, jobs=2, init_args=init_args, render="jsonl"))
    assert [r.text for _, r in pooled] == [r.text for _, r in shipped]
    tiny = list(batch.run_tasks(tasks, jobs=1, init_args=init_args, model=tiny_model,
                                render="jsonl"))
    assert [r.text for _, r in tiny] != [r.text for _, r in shipped]  # the check can fail
