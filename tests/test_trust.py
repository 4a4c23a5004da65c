"""A model file is trusted before it is unpickled.

A model file is a pickle, and unpickling runs code. ``load`` unpickles the shipped model
(its SHA-256 is pinned in the package's code) or a file the caller vouches for with
``trusted=True``; it validates any manifest before that, and every failure is an
``ArtifactError``.
"""

import hashlib
import json
import pathlib
import shutil

import joblib
import pytest
from conftest import ROOT

import renovml
from renovml import ArtifactError
from renovml.model import artifact, shipped
from renovml.model.artifact import ARTIFACT_NAME, MANIFEST_NAME, load, save
from renovml.themes import THEMES

SHIPPED_DIR = ROOT / "models"


class Marker:
    """Harmless stand-in for a hostile object: unpickling it creates a file."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def __reduce__(self):
        return pathlib.Path.touch, (self.path,)


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_manifest(directory: pathlib.Path, **changes) -> dict:
    """A manifest that matches ``directory``'s artifact byte for byte, with ``changes``."""
    path = directory / ARTIFACT_NAME
    manifest = {"artifact": ARTIFACT_NAME, "sha256": _sha256(path), "bytes": path.stat().st_size,
                "format_version": artifact.FORMAT_VERSION, "themes": list(THEMES),
                "versions": dict(artifact.versions()), "corpus_hash": "tiny"}
    manifest.update(changes)
    manifest = {k: v for k, v in manifest.items() if v is not _DROP}
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    return manifest


_DROP = object()


@pytest.fixture
def hostile_dir(tiny_model, tmp_path):
    """A working model whose metadata holds a Marker, with a manifest that matches it."""
    directory = tmp_path / "hostile"
    save(tiny_model, directory)
    payload = joblib.load(directory / ARTIFACT_NAME)
    marker = tmp_path / "marker"
    payload["metadata"] = {**payload["metadata"], "note": Marker(marker)}
    joblib.dump(payload, directory / ARTIFACT_NAME, compress=3)
    _write_manifest(directory)
    assert not marker.exists()
    return directory, marker


# --- the shipped model --------------------------------------------------------------------

def test_pinned_hash_is_the_shipped_files_hash():
    # The installed model (a copy of models/ in a non-editable install) and the repository's
    # both hash to the pin, and the repository's own pin file says the same.
    assert shipped.SHA256 == _sha256(artifact.shipped_model_path())
    assert shipped.SHA256 == _sha256(SHIPPED_DIR / ARTIFACT_NAME)
    manifest = json.loads((SHIPPED_DIR / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["sha256"] == shipped.SHA256
    source_pin = (ROOT / "renovml" / "model" / "shipped.py").read_text(encoding="utf-8")
    assert f'SHA256 = "{shipped.SHA256}"' in source_pin


def test_train_py_writes_where_the_pin_is_kept(tmp_path):
    """train.py's default output is the checkout's models/, so retraining re-pins the
    checkout's renovml/model/shipped.py, however renovml is installed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_script", ROOT / "train.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = pathlib.Path(script.build_parser().parse_args([]).out)
    targets = [t.resolve() for t in artifact._pin_targets(out)]
    assert (ROOT / "renovml" / "model" / "shipped.py").resolve() in targets
    assert not artifact._pin_targets(tmp_path)


def test_saving_into_a_checkouts_models_rewrites_its_pin(tiny_model, tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "renovml" / "model").mkdir(parents=True)
    pin = checkout / "renovml" / "model" / "shipped.py"
    pin.write_text('SHA256 = "' + "0" * 64 + '"\n', encoding="utf-8")
    running = shipped.SHA256
    path = save(tiny_model, checkout / "models")
    assert f'SHA256 = "{_sha256(path)}"' in pin.read_text(encoding="utf-8")
    assert shipped.SHA256 == running  # another checkout's pin is not the running one


def test_shipped_model_loads_without_trust():
    assert renovml.load().themes == list(THEMES)


def test_a_copy_of_the_shipped_model_loads_without_trust(tmp_path):
    shutil.copy(SHIPPED_DIR / ARTIFACT_NAME, tmp_path / "renamed.joblib")
    assert load(tmp_path / "renamed.joblib").themes == list(THEMES)


@pytest.mark.parametrize("trusted", [False, True])
def test_tampered_shipped_model_is_refused_by_the_pin(hostile_dir, monkeypatch, trusted):
    directory, marker = hostile_dir  # its manifest matches the file: only the pin can tell
    monkeypatch.setattr(artifact, "shipped_model_path", lambda: directory / ARTIFACT_NAME)
    with pytest.raises(ArtifactError, match="pinned") as caught:
        load(trusted=trusted)
    assert str(directory / ARTIFACT_NAME) in str(caught.value)
    assert "reinstall" in str(caught.value)
    assert not marker.exists()


def test_tampered_copy_of_shipped_dir_is_refused(tmp_path, monkeypatch):
    directory = tmp_path / "models"
    shutil.copytree(SHIPPED_DIR, directory)
    data = bytearray((directory / ARTIFACT_NAME).read_bytes())
    data[len(data) // 2] ^= 0x01
    (directory / ARTIFACT_NAME).write_bytes(bytes(data))
    _write_manifest(directory)  # the tamperer rewrites the manifest too
    monkeypatch.setattr(artifact, "shipped_model_path", lambda: directory / ARTIFACT_NAME)
    with pytest.raises(ArtifactError, match="pinned"):
        renovml.load()


def test_saving_into_the_shipped_directory_rewrites_the_pin(tiny_model, tmp_path, monkeypatch):
    directory = tmp_path / "models"
    pin = tmp_path / "shipped.py"
    pin.write_text(f'SHA256 = "{"0" * 64}"\n', encoding="utf-8")
    monkeypatch.setattr(artifact, "shipped_model_path", lambda: directory / ARTIFACT_NAME)
    monkeypatch.setattr(artifact, "_pin_path", lambda: pin)
    monkeypatch.setattr(shipped, "SHA256", shipped.SHA256)
    path = save(tiny_model, directory)
    digest = _sha256(path)
    namespace = {}
    exec(compile(pin.read_text(encoding="utf-8"), str(pin), "exec"), namespace)
    assert namespace["SHA256"] == digest
    assert shipped.SHA256 == digest  # this process sees the new pin at once
    assert load().metadata["corpus_hash"] == "tiny"  # and loads the new shipped model


def test_saving_elsewhere_leaves_the_pin_alone(tiny_model, tmp_path, monkeypatch):
    pin = tmp_path / "shipped.py"
    pin.write_text('SHA256 = "x"\n', encoding="utf-8")
    monkeypatch.setattr(artifact, "_pin_path", lambda: pin)
    before = shipped.SHA256
    save(tiny_model, tmp_path / "mine")
    assert pin.read_text(encoding="utf-8") == 'SHA256 = "x"\n'
    assert shipped.SHA256 == before


def test_training_result_save_into_shipped_directory_rewrites_the_pin(tiny_model, tmp_path,
                                                                      monkeypatch):
    from renovml.training.trainer import TrainingResult

    directory = tmp_path / "models"
    pin = tmp_path / "shipped.py"
    monkeypatch.setattr(artifact, "shipped_model_path", lambda: directory / ARTIFACT_NAME)
    monkeypatch.setattr(artifact, "_pin_path", lambda: pin)
    monkeypatch.setattr(shipped, "SHA256", shipped.SHA256)
    path = TrainingResult(model=tiny_model, metrics={"corpus_hash": "tiny", "folds_hash": "f"},
                          folds={}, model_card="card").save(directory)
    assert f'SHA256 = "{_sha256(path)}"' in pin.read_text(encoding="utf-8")


# --- any other model file -----------------------------------------------------------------

def test_untrusted_file_is_not_unpickled_even_with_a_matching_manifest(hostile_dir):
    directory, marker = hostile_dir
    with pytest.raises(ArtifactError) as caught:
        load(directory)
    message = str(caught.value)
    assert str(directory / ARTIFACT_NAME) in message
    for said in ("pickle", "runs", "integrity", "not", "origin", "trusted=True", "--trusted"):
        assert said in message, said
    assert not marker.exists()


def test_trusted_means_its_code_runs(hostile_dir):
    directory, marker = hostile_dir
    model = load(directory, trusted=True)
    assert model.themes == list(THEMES)
    assert marker.exists()  # exactly what trusted=True allows: the file's code ran


def test_trusted_still_refuses_a_manifest_mismatch(hostile_dir):
    directory, marker = hostile_dir
    _write_manifest(directory, sha256="0" * 64)
    with pytest.raises(ArtifactError, match="does not match the manifest"):
        load(directory, trusted=True)
    assert not marker.exists()


def test_trusted_loads_a_file_without_manifest(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path)
    (tmp_path / MANIFEST_NAME).unlink()
    assert load(path, trusted=True).metadata["corpus_hash"] == "tiny"


def test_untrusted_own_file_is_refused_with_the_way_forward(tiny_model, tmp_path):
    save(tiny_model, tmp_path)
    with pytest.raises(ArtifactError, match="trusted=True"):
        load(tmp_path)
    assert load(tmp_path, trusted=True).metadata["corpus_hash"] == "tiny"


# --- manifests are validated before anything is unpickled ---------------------------------

@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sha256": "ABC"}, "sha256"),
        ({"sha256": "G" * 64}, "sha256"),
        ({"sha256": 12}, "sha256"),
        ({"sha256": _DROP}, "sha256"),
        ({"format_version": 1}, "format_version"),
        ({"format_version": str(artifact.FORMAT_VERSION)}, "format_version"),
        ({"format_version": True}, "format_version"),
        ({"themes": ["funding", "governance"]}, "themes"),
        ({"themes": "funding"}, "themes"),
        ({"versions": "1.5"}, "versions"),
        ({"versions": {"numpy": "2.0"}}, "scikit-learn"),
        ({"versions": {"scikit-learn": 1.5}}, "versions"),
        ({"versions": {"scikit-learn": "0.24.2"}}, "trained with scikit-learn 0.24.2"),
        ({"bytes": 10}, "bytes"),
        ({"bytes": "many"}, "bytes"),
        ({"artifact": "other.joblib"}, "other.joblib"),
        ({"artifact": _DROP}, "artifact"),
        ({"corpus_hash": 5}, "corpus_hash"),
    ],
)
def test_malformed_manifest_is_refused_before_unpickling(hostile_dir, changes, expected):
    directory, marker = hostile_dir
    _write_manifest(directory, **changes)
    with pytest.raises(ArtifactError, match=expected) as caught:
        load(directory, trusted=True)
    assert str(directory / MANIFEST_NAME) in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", "", "\xff", "null"],
    ids=["bad-json", "a-list", "empty", "not-utf8", "null"],
)
def test_unreadable_manifest_is_refused(hostile_dir, text):
    directory, marker = hostile_dir
    data = text.encode("latin-1") if text == "\xff" else text.encode("utf-8")
    (directory / MANIFEST_NAME).write_bytes(data)
    with pytest.raises(ArtifactError, match="manifest") as caught:
        load(directory, trusted=True)
    assert str(directory / MANIFEST_NAME) in str(caught.value)
    assert not marker.exists()


def test_manifest_that_is_a_directory_is_refused(hostile_dir):
    directory, marker = hostile_dir
    (directory / MANIFEST_NAME).unlink()
    (directory / MANIFEST_NAME).mkdir()
    with pytest.raises(ArtifactError, match="manifest"):
        load(directory, trusted=True)
    assert not marker.exists()


# --- payloads ------------------------------------------------------------------------------

def _payload_dir(tiny_model, tmp_path, edit) -> pathlib.Path:
    directory = tmp_path / "edited"
    save(tiny_model, directory)
    payload = joblib.load(directory / ARTIFACT_NAME)
    joblib.dump(edit(payload), directory / ARTIFACT_NAME, compress=3)
    _write_manifest(directory)
    return directory


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda p: [1, 2, 3], "not a renovml model"),
        (lambda p: {**p, "format_version": 1}, "format"),
        (lambda p: {k: v for k, v in p.items() if k != "scorer"}, "scorer"),
        (lambda p: {k: v for k, v in p.items() if k != "thresholds"}, "thresholds"),
        (lambda p: {**p, "themes": ["funding", "governance", "management", "infrastructure"]}, "themes"),
        (lambda p: {**p, "thresholds": [0.5, 0.5]}, "thresholds"),
        (lambda p: {**p, "thresholds": ["high"] * 4}, "thresholds"),
        (lambda p: {**p, "scorer": "not a scorer"}, "scorer"),
        (lambda p: {**p, "estimators": "not bytes"}, "estimators"),
        (lambda p: {**p, "paragraph_mode": "sideways"}, "paragraph_mode"),
        (lambda p: {**p, "metadata": [1]}, "metadata"),
    ],
    ids=["list", "format", "no-scorer", "no-thresholds", "themes", "short-thresholds",
         "text-thresholds", "scorer", "estimators", "paragraph-mode", "metadata"],
)
def test_wrong_payload_is_an_artifact_error(tiny_model, tmp_path, edit, expected):
    directory = _payload_dir(tiny_model, tmp_path, edit)
    with pytest.raises(ArtifactError, match=expected) as caught:
        load(directory, trusted=True)
    assert str(directory / ARTIFACT_NAME) in str(caught.value)


def test_unpicklable_payload_is_an_artifact_error(tmp_path):
    path = tmp_path / ARTIFACT_NAME
    path.write_bytes(b"\x80\x04not really a pickle")
    _write_manifest(tmp_path)
    with pytest.raises(ArtifactError, match="not a readable model file"):
        load(path, trusted=True)


def test_directory_without_artifact_is_named(tmp_path):
    with pytest.raises(ArtifactError, match="no model artifact there") as caught:
        load(tmp_path, trusted=True)
    assert str(tmp_path) in str(caught.value)


# --- the command line ------------------------------------------------------------------------

def test_command_line_model_needs_trusted(hostile_dir, tmp_path, capsys):
    from conftest import SEED_PATHS

    from renovml.cli import main

    directory, marker = hostile_dir
    out = tmp_path / "out.jsonl"
    args = ["predict", str(SEED_PATHS[0]), "--model", str(directory), "-o", str(out), "--jobs", "1",
            "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--trusted" in err and "pickle" in err
    assert not marker.exists() and not out.exists()
    assert main([*args, "--trusted"]) == 0
    assert marker.exists()
    assert out.read_text(encoding="utf-8").count("\n") > 0
