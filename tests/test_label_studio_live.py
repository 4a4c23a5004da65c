"""A real round trip through a Label Studio server on loopback.

Label Studio is not a dependency of renovml: install it in a virtual environment of its
own (``python -m venv ls && ls/bin/pip install label-studio``) and point
``RENOVML_LABEL_STUDIO`` at its ``label-studio`` command, or have ``label-studio`` on the
PATH; otherwise this test is skipped. The client is the standard library only.

The server starts with a throwaway data directory, a user and an API token made on the
command line, on 127.0.0.1 and a free port; the test imports renovml's exported tasks
(predictions included) through the API, submits an annotation per task, exports the
project, imports the export back into a corpus, and trains on it.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import ROOT, SEED_PATHS

import renovml
from renovml import annotate
from renovml.themes import THEMES
from renovml.training import Config
from renovml.training.corpus import read_corpus

BINARY = os.environ.get("RENOVML_LABEL_STUDIO") or shutil.which("label-studio")
pytestmark = [
    pytest.mark.label_studio,
    pytest.mark.skipif(not BINARY or not os.access(BINARY, os.X_OK),
                       reason="Label Studio is not installed: set RENOVML_LABEL_STUDIO to its "
                              "label-studio command (installed in a venv of its own)"),
]

TOKEN = "renovml0test0token0" + "0" * 21  # 40 characters, as Label Studio makes them


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Client:
    def __init__(self, base: str):
        self.base = base

    def __call__(self, method: str, path: str, body=None):
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json",
                     "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from None
        return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD", "USER_TOKEN")}
    env.update(LABEL_STUDIO_BASE_DATA_DIR=str(data), SENTRY_DSN="", FRONTEND_SENTRY_DSN="",
               COLLECT_ANALYTICS="false")
    log = open(data / "server.log", "wb")
    process = subprocess.Popen(
        [BINARY, "start", "--no-browser", "--data-dir", str(data), "--internal-host",
         "127.0.0.1", "--port", str(port), "--username", "annotator@example.org",
         "--password", "renovml-test-password", "--user-token", TOKEN,
         "--enable-legacy-api-token", "--log-level", "WARNING"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"Label Studio exited with {process.returncode}: "
                            f"{(data / 'server.log').read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - started > 300:
                pytest.fail("Label Studio did not answer within 300 s")
            time.sleep(0.5)
        yield _Client(base)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                continue
        log.close()


def _annotator(text: str) -> list[str]:
    """The stand-in annotator's labels for a sentence: the themes whose words it holds."""
    words = {"funding": ("资金", "投资", "万元"), "governance": ("会议", "部署", "督导"),
             "infrastructure": ("改造", "设施", "管网"), "management": ("物业", "管理")}
    return [t for t in THEMES if any(w in text for w in words[t])]


def test_label_studio_round_trip_into_a_corpus_that_trains(server, tmp_path):
    tasks, errors = annotate.select([str(p) for p in SEED_PATHS], 12, per_article=3, seed=1)
    assert not errors and tasks
    project = server("POST", "/api/projects", {"title": "renovml round trip",
                                               "label_config": annotate.label_studio_config()})
    imported = server("POST", f"/api/projects/{project['id']}/import",
                      annotate.to_label_studio(tasks))
    assert imported["task_count"] == len(tasks)
    assert imported["prediction_count"] == len(tasks)

    given = {}
    listed = server("GET", f"/api/tasks?project={project['id']}&page_size=1000")
    for task in listed["tasks"] if isinstance(listed, dict) else listed:
        predictions = server("GET", f"/api/predictions?task={task['id']}")
        result = []
        for region in predictions[0]["result"]:
            labels = _annotator(region["value"]["text"]) or [annotate.NONE]
            result.append({**region, "value": {**region["value"], "labels": labels}})
            given[(task["data"]["renovml"]["article_id"], region["value"]["start"])] = labels
        server("POST", f"/api/tasks/{task['id']}/annotations",
               {"result": result, "was_cancelled": False, "lead_time": 1.0})

    export = server("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    records = annotate.from_label_studio(path)
    assert len(records) == len(tasks)
    picked = {(t["id"], s["start"]): s for t in tasks for s in t["sentences"] if s["picked"]}
    assert set(given) == set(picked)
    for record, task in zip(sorted(records, key=lambda r: r["id"]),
                            sorted(tasks, key=lambda t: t["id"])):
        sentences = [s for p in record["paragraphs"] for s in p["sentences"]]
        for mine, theirs in zip(sentences, task["sentences"], strict=True):
            assert mine["text"] == theirs["text"]
            labels = given.get((task["id"], theirs["start"]))
            assert mine["labels"] == (None if labels is None else
                                      [t for t in labels if t != annotate.NONE])

    mine = tmp_path / "mine.jsonl"
    mine.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    ours = ROOT / "seeds" / "corpus" / "written_1.jsonl"
    result = renovml.train([ours, mine], folds=2, learning_curve=False,
                           candidates=[Config("words + chars", lexicon=False)])
    part = result.metrics["parts"][1]
    assert part["corpus"] == str(mine) and part["sentences"] == len(picked)
    assert len(read_corpus(mine)) == len(tasks)
