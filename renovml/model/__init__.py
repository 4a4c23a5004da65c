"""Clean sections -> themes: tokens, features, the classifier, explanations, the artifact.

May import :mod:`renovml.text`. The names below are imported on first use, so
that importing one module of this layer does not pull in all of scikit-learn.
"""

import importlib

_EXPORTS = {
    "ThemeClassifier": "renovml.model.estimator",
    "label_matrix": "renovml.model.estimator",
    "ThemeModel": "renovml.model.theme_model",
    "TaggedArticle": "renovml.model.theme_model",
    "SectionThemes": "renovml.model.theme_model",
    "rollup": "renovml.model.theme_model",
    "ModelVersionWarning": "renovml.model.artifact",
    "load": "renovml.model.artifact",
    "save": "renovml.model.artifact",
    "shipped_model_path": "renovml.model.artifact",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'renovml.model' has no attribute {name!r}")
