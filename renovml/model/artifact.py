"""Saving and loading the model file: the only module that touches it.

An artifact is a joblib file holding the fitted pipeline(s), the theme list,
the thresholds, library versions and the training data's hash. Beside it a
``manifest.json`` records the file's SHA-256; :func:`load` checks it before
unpickling anything, because unpickling runs code.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from importlib import resources
from pathlib import Path

import joblib

from renovml.errors import ArtifactError
from renovml.model.theme_model import ThemeModel
from renovml.themes import THEMES

__all__ = ["ARTIFACT_NAME", "MANIFEST_NAME", "ModelVersionWarning", "load", "save",
           "shipped_model_path"]

ARTIFACT_NAME = "renovml-themes.joblib"
MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 2  # 2: the classifiers are fitted renovml ThemeClassifier estimators


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
    try:
        return Path(str(resources.files("renovml.models").joinpath(ARTIFACT_NAME)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "models" / ARTIFACT_NAME


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(model: ThemeModel, directory: str | os.PathLike) -> Path:
    """Write ``model`` to ``directory`` as the artifact plus its manifest; return the path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ARTIFACT_NAME
    payload = {
        "format_version": FORMAT_VERSION,
        "themes": list(model.themes),
        "thresholds": [float(t) for t in model.thresholds],
        "paragraph_thresholds": [float(t) for t in model.paragraph_thresholds],
        "paragraph_mode": model.paragraph_mode,
        "classifier": model.classifier,
        "paragraph_classifier": model.paragraph_classifier,
        "versions": versions(),
        "metadata": model.metadata,
    }
    tmp = path.with_suffix(".tmp")
    joblib.dump(payload, tmp, compress=3)
    os.replace(tmp, path)
    manifest = {
        "artifact": ARTIFACT_NAME,
        "sha256": _sha256(path),
        "bytes": path.stat().st_size,
        "format_version": FORMAT_VERSION,
        "themes": list(model.themes),
        "versions": payload["versions"],
        "corpus_hash": model.metadata.get("corpus_hash"),
    }
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def _check_versions(trained: dict[str, str], name: str) -> None:
    import sklearn

    have = sklearn.__version__.split(".")
    had = str(trained.get("scikit-learn", "")).split(".")
    if had[:1] != have[:1]:
        raise ArtifactError(f"{name}: trained with scikit-learn {'.'.join(had)}, but "
                            f"{sklearn.__version__} is installed; install a matching "
                            "scikit-learn or retrain with train.py")
    if had[:2] != have[:2]:
        warnings.warn(f"{name}: trained with scikit-learn {'.'.join(had)}, running "
                      f"{sklearn.__version__}; predictions may differ. Retrain with train.py "
                      "to be sure.", ModelVersionWarning, stacklevel=3)


def load(path: str | os.PathLike | None = None, *, trusted: bool = False) -> ThemeModel:
    """Load a theme model.

    Parameters
    ----------
    path : path-like, optional
        An artifact file, or a directory holding one. Default: the model
        shipped inside the package.
    trusted : bool
        Skip the manifest's hash check, for a file you made yourself.

    Raises
    ------
    ArtifactError
        If the file is missing, its manifest is missing or its SHA-256 does not
        match (unless ``trusted``), it is not a renovml model, or it was made
        with an incompatible scikit-learn.
    """
    path = shipped_model_path() if path is None else Path(path)
    if path.is_dir():
        path = path / ARTIFACT_NAME
    if not path.is_file():
        raise ArtifactError(f"{path}: no model artifact there; train one with train.py "
                            "or pass the path of a .joblib file made by it")
    if not trusted:
        manifest_path = path.parent / MANIFEST_NAME
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ArtifactError(f"{manifest_path}: missing, so {path.name} cannot be verified; "
                                "pass trusted=True only for a file you made yourself") from None
        except (json.JSONDecodeError, OSError) as exc:
            raise ArtifactError(f"{manifest_path}: unreadable ({exc})") from None
        actual = _sha256(path)
        if manifest.get("sha256") != actual:
            raise ArtifactError(f"{path}: SHA-256 {actual[:16]}... does not match the manifest's "
                                f"{str(manifest.get('sha256'))[:16]}...; the file was changed or "
                                "corrupted. Refusing to unpickle it.")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # a damaged pickle can raise nearly anything
        raise ArtifactError(f"{path}: not a readable model file ({type(exc).__name__}: {exc})")
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{path}: not a renovml model of format {FORMAT_VERSION}")
    if tuple(payload["themes"]) != THEMES:
        raise ArtifactError(f"{path}: themes {payload['themes']} differ from {list(THEMES)}")
    _check_versions(payload.get("versions", {}), str(path))
    return ThemeModel(classifier=payload["classifier"], thresholds=payload["thresholds"],
                      paragraph_thresholds=payload["paragraph_thresholds"],
                      paragraph_mode=payload["paragraph_mode"],
                      paragraph_classifier=payload["paragraph_classifier"],
                      metadata=payload.get("metadata", {}))
