"""Saving and loading the model file: the only module that touches it.

An artifact is a joblib file holding the compiled scorer(s) that predict (arrays;
no scikit-learn needed), the fitted ThemeClassifier estimator(s) as a pickle of their
own (unpickled only when asked for), the theme list, the thresholds, library versions
and the training data's hash. Beside it a
``manifest.json`` records the file's SHA-256, size, format and library versions.

A joblib file is a pickle, and unpickling runs whatever code the file holds. So
:func:`load` decides whether to trust a file before it unpickles anything: the
shipped model is trusted because its SHA-256 is pinned in the package's code
(:mod:`renovml.model.shipped`); any other file only when the caller says so with
``trusted=True``. A manifest proves a file is intact, never where it came from:
whoever hands you a model file can hand you a matching manifest.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import numbers
import os
import platform
import re
import warnings
from importlib import resources
from pathlib import Path

import joblib

from renovml.errors import ArtifactError
from renovml.model import shipped as _shipped
from renovml.model.compiled import CompiledScorer
from renovml.model.theme_model import ThemeModel
from renovml.themes import THEMES

__all__ = ["ARTIFACT_NAME", "MANIFEST_NAME", "ModelVersionWarning", "load", "save",
           "shipped_model_path"]

logger = logging.getLogger(__name__)

ARTIFACT_NAME = "renovml-themes.joblib"
MANIFEST_NAME = "manifest.json"
# 3: predictions come from compiled scorers (arrays, no scikit-learn); the fitted
# ThemeClassifier estimators ride along as a pickle of their own, unpickled on first use.
FORMAT_VERSION = 3
_MAX_MANIFEST_BYTES = 1 << 20
_SHA256_SHAPE = re.compile(r"[0-9a-f]{64}")
# The pin module as save() writes it; the shipped file is exactly this text.
_PIN_MODULE = '''"""The SHA-256 of the model file shipped with renovml, pinned in the package's code.

:func:`renovml.load` unpickles the shipped model only if its bytes hash to this value:
a manifest beside the file cannot vouch for it, since whoever can change the file can
change its manifest too. Saving a model into the shipped model's directory (what
``python train.py`` does) rewrites this file; do not edit it by hand.
"""

SHA256 = "{sha256}"
'''


class ModelVersionWarning(UserWarning):
    """The model was trained with another minor version of a library it depends on."""


def versions() -> dict[str, str]:
    """Versions of the libraries a model's behaviour depends on."""
    import jieba
    import numpy
    import opencc
    import scipy
    import sklearn

    import renovml

    return {"renovml": renovml.__version__, "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__,
            "jieba": jieba.__version__, "opencc": getattr(opencc, "__version__", "unknown"),
            "joblib": joblib.__version__, "python": platform.python_version()}


def shipped_model_path() -> Path:
    """Where the installed package keeps its model file.

    An installed renovml carries it as ``renovml.models``; a source checkout imported
    directly (``python -m renovml`` run from the repository) has it in the top-level
    ``models/`` beside the package.
    """
    checkout = Path(__file__).resolve().parents[2] / "models" / ARTIFACT_NAME
    try:
        installed = Path(str(resources.files("renovml.models").joinpath(ARTIFACT_NAME)))
    except ModuleNotFoundError:
        return checkout
    # A checkout imported directly can still resolve renovml.models to a folder it does not
    # have (an empty namespace); its model is then the checkout's own.
    return installed if installed.is_file() or not checkout.is_file() else checkout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pin_path() -> Path:
    """The source file of :mod:`renovml.model.shipped`, where the shipped model's hash is pinned."""
    return Path(_shipped.__file__)


def _is_shipped_directory(directory: Path) -> bool:
    try:
        return directory.resolve() == shipped_model_path().parent.resolve()
    except OSError:
        return False


def _pin_targets(directory: Path) -> list[Path]:
    """The pin files that saving a model into ``directory`` must rewrite: the running
    package's, when ``directory`` is its shipped-model directory, and a source checkout's
    (``models/`` beside ``renovml/model/shipped.py``), whatever renovml is installed from."""
    targets = []
    if _is_shipped_directory(directory):
        targets.append(_pin_path())
    checkout_pin = directory.parent / "renovml" / "model" / "shipped.py"
    if directory.name == "models" and checkout_pin.is_file():
        if not any(checkout_pin.resolve() == t.resolve() for t in targets):
            targets.append(checkout_pin)
    return targets


def _pin_shipped_model(sha256: str, pins: list[Path]) -> None:
    """Rewrite the pinned hash in ``pins`` (and in the running module if it is one)."""
    for pin in pins:
        tmp = pin.with_name(pin.name + ".tmp")
        tmp.write_text(_PIN_MODULE.format(sha256=sha256), encoding="utf-8")
        os.replace(tmp, pin)
        # The new source has the old one's size and maybe its mtime second: drop the bytecode.
        Path(importlib.util.cache_from_source(str(pin))).unlink(missing_ok=True)
        if pin.resolve() == _pin_path().resolve():
            _shipped.SHA256 = sha256
        logger.info("pinned the shipped model's SHA-256 %s in %s", sha256, pin)


def save(model: ThemeModel, directory: str | os.PathLike) -> Path:
    """Write ``model`` to ``directory`` as the artifact plus its manifest.

    Saving into the shipped model's directory (see :func:`shipped_model_path`), or into
    a source checkout's ``models/`` (what ``train.py`` does by default), also rewrites the
    hash pinned in :mod:`renovml.model.shipped` (the running package's, or the
    checkout's), so the shipped model and its pin stay in step.

    Parameters
    ----------
    model : ThemeModel
        The fitted model.
    directory : path-like
        Where to write ``renovml-themes.joblib`` and ``manifest.json``; created if missing.

    Returns
    -------
    pathlib.Path
        The artifact's path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ARTIFACT_NAME
    payload = {
        "format_version": FORMAT_VERSION,
        "themes": list(model.themes),
        "thresholds": [float(t) for t in model.thresholds],
        "paragraph_thresholds": [float(t) for t in model.paragraph_thresholds],
        "paragraph_mode": model.paragraph_mode,
        "scorer": model.scorer,
        "paragraph_scorer": model.paragraph_scorer,
        "estimators": model.estimators_pickle(),
        "versions": versions(),
        "metadata": model.metadata,
    }
    tmp = path.with_suffix(".tmp")
    joblib.dump(payload, tmp, compress=3)
    os.replace(tmp, path)
    digest = _sha256(path)
    manifest = {
        "artifact": ARTIFACT_NAME,
        "sha256": digest,
        "bytes": path.stat().st_size,
        "format_version": FORMAT_VERSION,
        "themes": list(model.themes),
        "versions": payload["versions"],
        "corpus_hash": model.metadata.get("corpus_hash"),
    }
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    pins = _pin_targets(directory)
    if pins:
        _pin_shipped_model(digest, pins)
    return path


def _check_versions(trained: dict[str, str], name: str) -> None:
    # The installed version from the package's metadata: importing scikit-learn to ask would
    # cost more than the rest of a cold start.
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("scikit-learn")
    except PackageNotFoundError:
        raise ArtifactError(f"{name}: scikit-learn is not installed; pip install renovml "
                            "installs it") from None
    have = installed.split(".")
    had = str(trained.get("scikit-learn", "")).split(".")
    if had[:1] != have[:1]:
        raise ArtifactError(f"{name}: trained with scikit-learn {'.'.join(had)}, but "
                            f"{installed} is installed; install a matching "
                            "scikit-learn or retrain with train.py")
    if had[:2] != have[:2]:
        warnings.warn(f"{name}: trained with scikit-learn {'.'.join(had)}, running "
                      f"{installed}; predictions may differ. Retrain with train.py "
                      "to be sure.", ModelVersionWarning, stacklevel=3)


# --- validation: everything here runs before a byte is unpickled ---------------------------

def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_manifest(path: Path) -> dict | None:
    """The validated manifest beside the artifact ``path``, or None if there is none."""
    manifest_path = path.parent / MANIFEST_NAME

    def bad(what: str) -> ArtifactError:
        return ArtifactError(f"{manifest_path}: not a valid renovml manifest: {what}. Refusing "
                             f"to unpickle {path.name}; save the model again with renovml "
                             "(train.py or TrainingResult.save) to rewrite it")

    try:
        with open(manifest_path, "rb") as handle:
            data = handle.read(_MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise bad(f"unreadable ({exc.strerror or exc})") from None
    if len(data) > _MAX_MANIFEST_BYTES:
        raise bad(f"larger than {_MAX_MANIFEST_BYTES} bytes; expected a small JSON object")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not UTF-8 text; expected a JSON object") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not JSON ({exc}); expected a JSON object") from None
    if not isinstance(manifest, dict):
        raise bad(f"a JSON {type(manifest).__name__}, expected a JSON object")
    expected = {"artifact": "a file name", "sha256": "64 lowercase hexadecimal digits",
                "bytes": "a size in bytes", "format_version": f"the integer {FORMAT_VERSION}",
                "themes": f"the list {list(THEMES)}",
                "versions": "an object of library name -> version string"}
    missing = [key for key in expected if key not in manifest]
    if missing:
        raise bad(f"missing {', '.join(map(repr, missing))}; expected "
                  + "; ".join(f"{k!r}: {v}" for k, v in expected.items()))

    def check(key: str, ok: bool) -> None:
        if not ok:
            raise bad(f"{key!r} is {manifest[key]!r}, expected {expected[key]}")

    check("artifact", isinstance(manifest["artifact"], str))
    if manifest["artifact"] != path.name:
        raise bad(f"it describes {manifest['artifact']!r}, not {path.name!r}; rename the file "
                  "back or give it its own manifest")
    check("sha256", isinstance(manifest["sha256"], str)
          and _SHA256_SHAPE.fullmatch(manifest["sha256"]) is not None)
    check("bytes", _is_int(manifest["bytes"]) and manifest["bytes"] >= 0)
    check("format_version", _is_int(manifest["format_version"])
          and manifest["format_version"] == FORMAT_VERSION)
    check("themes", isinstance(manifest["themes"], list) and tuple(manifest["themes"]) == THEMES)
    versions_ = manifest["versions"]
    check("versions", isinstance(versions_, dict)
          and all(isinstance(k, str) and isinstance(v, str) for k, v in versions_.items()))
    if "scikit-learn" not in versions_:
        raise bad("'versions' has no 'scikit-learn' entry; expected the scikit-learn version "
                  "the model was trained with")
    corpus = manifest.get("corpus_hash")
    if corpus is not None and not isinstance(corpus, str):
        raise bad(f"'corpus_hash' is {corpus!r}, expected a string or null")
    return manifest


def _untrusted(path: Path, manifest: dict | None) -> ArtifactError:
    unverified = ("" if manifest is not None else
                  f" With no {MANIFEST_NAME} beside it, even its integrity cannot be verified.")
    return ArtifactError(
        f"{path}: not the model shipped with renovml, and not marked as trusted, so it was not "
        "loaded. A model file is a pickle, and loading one runs whatever code it contains; a "
        f"{MANIFEST_NAME} beside it proves integrity, not origin (whoever hands you the file "
        f"can hand you a matching manifest).{unverified} If you made this file yourself "
        "(train.py, renovml.train) or trust whoever made it as you trust code you run, load it "
        "with renovml.load(path, trusted=True), or add --trusted to the renovml command; "
        "otherwise use the shipped model (no path) or train your own with train.py.")


def _check_payload(payload, path: Path) -> dict:
    """The unpickled payload, checked to be a renovml model of this format."""

    def bad(what: str) -> ArtifactError:
        return ArtifactError(f"{path}: not a renovml model of format {FORMAT_VERSION}: {what}")

    if not isinstance(payload, dict):
        raise bad(f"it holds a {type(payload).__name__}, expected a dict written by renovml's save")
    if payload.get("format_version") != FORMAT_VERSION:
        raise bad(f"format_version is {payload.get('format_version')!r}, expected {FORMAT_VERSION}")
    required = ("themes", "thresholds", "paragraph_thresholds", "paragraph_mode", "scorer",
                "paragraph_scorer", "estimators", "versions", "metadata")
    missing = [key for key in required if key not in payload]
    if missing:
        raise bad(f"missing {', '.join(map(repr, missing))}; expected the keys "
                  f"{', '.join(required)}")
    if not isinstance(payload["themes"], (list, tuple)) or tuple(payload["themes"]) != THEMES:
        raise bad(f"themes {payload['themes']!r} differ from {list(THEMES)}")
    for key in ("thresholds", "paragraph_thresholds"):
        value = payload[key]
        if not (isinstance(value, (list, tuple)) and len(value) == len(THEMES) and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1
                for v in value)):
            raise bad(f"{key} is {value!r}, expected {len(THEMES)} numbers between 0 and 1")
    if payload["paragraph_mode"] not in ("aggregate", "direct"):
        raise bad(f"paragraph_mode is {payload['paragraph_mode']!r}, expected 'aggregate' or 'direct'")
    if not isinstance(payload["scorer"], CompiledScorer):
        raise bad(f"scorer is a {type(payload['scorer']).__name__}, expected a CompiledScorer")
    paragraph = payload["paragraph_scorer"]
    if (paragraph is not None or payload["paragraph_mode"] == "direct") and not isinstance(
            paragraph, CompiledScorer):
        raise bad(f"paragraph_scorer is a {type(paragraph).__name__}, expected a CompiledScorer"
                  + ("" if payload["paragraph_mode"] == "direct" else " or None"))
    if payload["estimators"] is not None and not isinstance(payload["estimators"], bytes):
        raise bad(f"estimators is a {type(payload['estimators']).__name__}, expected the "
                  "pickled estimators (bytes) or None")
    for key in ("versions", "metadata"):
        if not isinstance(payload[key], dict):
            raise bad(f"{key} is a {type(payload[key]).__name__}, expected a dict")
    return payload


def load(path: str | os.PathLike | None = None, *, trusted: bool = False) -> ThemeModel:
    """Load a theme model, deciding whether to trust the file before unpickling it.

    A model file is a pickle, and unpickling runs whatever code it holds. The
    shipped model is trusted because its SHA-256 is pinned in renovml's code; so is
    any byte-for-byte copy of it. Any other file is unpickled only with
    ``trusted=True``. Every check below happens before a byte is unpickled: the
    file is read once into memory, and what was hashed is what is unpickled.

    Parameters
    ----------
    path : path-like, optional
        An artifact file, or a directory holding ``renovml-themes.joblib``. Default:
        the model shipped inside the package, which must hash to the pinned SHA-256;
        ``trusted`` cannot override that, since a shipped file that differs from its
        pin was changed after installation (pass its path explicitly to override).
    trusted : bool
        You vouch for the file's origin: you made it yourself, or trust whoever made
        it as you trust code you run. renovml will then unpickle it, which runs any
        code it contains; that is exactly what this flag allows. It does not turn
        other checks off: a ``manifest.json`` beside the file is still validated and
        its SHA-256 and size must match, because trusting where a file came from says
        nothing about whether this copy is whole (a truncated download, a manifest
        left from another model). A file without a manifest is loaded. Default:
        False, which loads only the shipped model and copies of it.

    Returns
    -------
    ThemeModel

    Raises
    ------
    ArtifactError
        If the file is missing; the manifest beside it is unreadable, breaks its
        schema (keys, types, format version, SHA-256 shape, themes, versions) or does
        not match the file; the shipped model differs from its pinned hash; the file
        is neither the shipped model nor trusted; it is not a renovml model of this
        format; or it was made with another major version of scikit-learn. Each
        message names the file and what was expected.

    Warns
    -----
    ModelVersionWarning
        If it was made with another minor version of scikit-learn.
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a path to a model file or None, got {type(path).__name__}")
    shipped = path is None
    path = shipped_model_path() if shipped else Path(path)
    if path.is_dir():
        path = path / ARTIFACT_NAME
    if not path.is_file():
        raise ArtifactError(f"{path}: no model artifact there; train one with train.py "
                            "or pass the path of a .joblib file made by it")
    manifest = _read_manifest(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"{path}: unreadable ({exc.strerror or exc})") from None
    actual = hashlib.sha256(data).hexdigest()
    pinned = _shipped.SHA256
    if shipped and actual != pinned:
        raise ArtifactError(f"{path}: SHA-256 {actual} differs from the shipped model's, pinned in "
                            f"renovml as {pinned}: the installed file was changed or damaged. "
                            "Refusing to unpickle it; reinstall renovml.")
    if manifest is not None and (manifest["sha256"] != actual or manifest["bytes"] != len(data)):
        raise ArtifactError(f"{path}: SHA-256 {actual[:16]}... ({len(data)} bytes) does not match "
                            f"the manifest {path.parent / MANIFEST_NAME}: "
                            f"{manifest['sha256'][:16]}... ({manifest['bytes']} bytes); the file "
                            "was changed or corrupted. Refusing to unpickle it.")
    if not (trusted or actual == pinned):
        raise _untrusted(path, manifest)
    if manifest is not None:
        _check_versions(manifest["versions"], str(path.parent / MANIFEST_NAME))
    try:
        payload = joblib.load(io.BytesIO(data))
    except Exception as exc:  # a damaged pickle can raise nearly anything
        raise ArtifactError(f"{path}: not a readable model file ({type(exc).__name__}: {exc})") from None
    payload = _check_payload(payload, path)
    if manifest is None:
        _check_versions(payload["versions"], str(path))
    try:
        return ThemeModel(scorer=payload["scorer"], thresholds=payload["thresholds"],
                          paragraph_thresholds=payload["paragraph_thresholds"],
                          paragraph_mode=payload["paragraph_mode"],
                          paragraph_scorer=payload["paragraph_scorer"],
                          estimators=payload["estimators"], metadata=payload["metadata"])
    except (TypeError, ValueError) as exc:
        raise ArtifactError(f"{path}: not a usable renovml model ({exc})") from None
