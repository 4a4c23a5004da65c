"""The native part of renovml: character n-gram scoring in C (renovml/model/_native.c).

Everything else is in pyproject.toml. The extension is optional: where it cannot be
compiled (no C compiler), renovml installs without it and scores with numpy, slower
but with the same numbers (``renovml.model.compiled.NATIVE`` is then None).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("renovml.model._native", ["renovml/model/_native.c"],
                             optional=True)])
