"""The package's layers: imports point down only.

    themes, errors  <-  text  <-  model  <-  training  <-  batch  <-  annotate  <-  cli
                                                          batch  <-  dask  <-  spark, cli

Every ``import`` statement (including those inside functions) and every module
name written as a string for a lazy import is checked.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import renovml

PACKAGE = Path(renovml.__file__).resolve().parent

# What each layer may import, besides itself. Data packages are open to everyone.
DATA = {"renovml.resources", "renovml.models"}
GROUND = {"renovml.themes", "renovml.errors"}
ALLOWED = {
    "renovml.themes": set(),
    "renovml.errors": set(),
    "renovml.text": GROUND,
    "renovml.model": GROUND | {"renovml.text"},
    "renovml.training": GROUND | {"renovml.text", "renovml.model"},
    "renovml.batch": GROUND | {"renovml.text", "renovml.model"},
    "renovml.annotate": GROUND | {"renovml.text", "renovml.model", "renovml.training",
                                  "renovml.batch"},
    "renovml.report": GROUND | {"renovml.text", "renovml.model"},
    "renovml.dask": GROUND | {"renovml.text", "renovml.model", "renovml.batch"},
    "renovml.spark": GROUND | {"renovml.text", "renovml.model", "renovml.batch", "renovml.dask"},
    "renovml.cli": GROUND | {"renovml.text", "renovml.model", "renovml.training",
                             "renovml.batch", "renovml.annotate", "renovml.report",
                             "renovml.dask"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        out.append((name, path))
    return out


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith("renovml.") and node.value.replace(".", "").replace(
                    "_", "").isalnum():
                found.add(node.value)
    return {name for name in found if name == "renovml" or name.startswith("renovml.")}


def test_every_module_has_a_layer():
    for name, _ in _modules():
        if name == "renovml" or name == "renovml.__main__":
            continue
        assert _layer(name) in ALLOWED or _layer(name) in DATA, (
            f"{name}: no layer declared for it in tests/test_layers.py")


@pytest.mark.parametrize("name,path", _modules(), ids=[m for m, _ in _modules()])
def test_imports_point_down(name, path):
    if name in ("renovml", "renovml.__main__") or _layer(name) in DATA:
        return  # the package's front door re-exports every layer; __main__ runs the cli
    layer = _layer(name)
    allowed = ALLOWED[layer] | DATA | {layer}
    bad = sorted(dep for dep in _imports(path, name)
                 if dep != "renovml" and _layer(dep) not in allowed
                 # "from renovml.model import x" also records "renovml.model.x"
                 and not any(dep.startswith(a + ".") or dep == a for a in allowed))
    assert not bad, f"{name} ({layer}) imports {bad}, above or beside its layer"


def test_the_checker_catches_an_upward_import(tmp_path):
    # The test above must be able to fail: a text module importing the model is caught.
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from renovml.model.tokens import tokenize\n", encoding="utf-8")
    deps = _imports(fake, "renovml.text.fake")
    assert "renovml.model.tokens" in deps
    assert _layer("renovml.model.tokens") not in ALLOWED["renovml.text"]


def test_cleaning_loads_no_model_code():
    # The text layer stands alone at run time too: no scikit-learn, no model, no training.
    code = ("import sys, renovml; renovml.clean('老舊小區(qū)改造'); "
            "renovml.sections('一句话。两句话。'); "
            "print(sorted(m for m in sys.modules if m.startswith(('sklearn', 'renovml.model', "
            "'renovml.training', 'renovml.cli', 'renovml.batch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_public_names_still_work():
    for name in ("clean", "sections", "load", "Article", "Section", "read_text", "decode_bytes",
                 "THEMES", "ThemeModel", "ThemeClassifier", "train", "evaluate",
                 "TrainingResult", "read_corpus", "validate_corpus", "ModelVersionWarning"):
        assert getattr(renovml, name) is not None, name
    for name in renovml.__all__:
        getattr(renovml, name)


def test_every_package_is_in_the_distribution():
    # A package missing from pyproject's list works in a checkout and is absent from the
    # installed wheel.
    import tomllib
    from conftest import ROOT

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "renovml").rglob("__init__.py")}
    assert found - listed == set()
