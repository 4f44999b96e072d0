"""The compiled offline engine (``offline/compiled/_engine.pyx``), an optional C extension; everything else about the
package is in pyproject.toml.

Optional: where it cannot be compiled (an sdist on a machine without a C compiler) the build still succeeds,
with a warning, and the offline counter runs on its exact pure-Python path. Set
``TOKEN_COUNTER_REQUIRE_EXTENSION=1`` to make a failed compile fail the build (CI and release wheels do).
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, PlatformError

_REQUIRED = os.environ.get("TOKEN_COUNTER_REQUIRE_EXTENSION", "") == "1"
_FAILURES = (CCompilerError, CompileError, ExecError, PlatformError, OSError)


class OptionalBuildExt(build_ext):
    """``build_ext`` that warns instead of failing when the engine cannot be compiled."""

    _failed: frozenset[str] = frozenset()

    def run(self) -> None:
        try:
            super().run()
        except _FAILURES as error:
            self._skip(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except _FAILURES as error:
            self._failed |= {ext.name}
            self._skip(error)

    def copy_extensions_to_source(self) -> None:
        # An in-place build (the editable install) copies each built module into the package: not one that failed.
        kept = self.extensions
        self.extensions = [ext for ext in kept if ext.name not in self._failed]
        try:
            super().copy_extensions_to_source()
        finally:
            self.extensions = kept

    def get_outputs(self) -> list[str]:
        # What the wheel and the editable install list as built: not a module that failed to compile.
        kept = self.extensions
        self.extensions = [ext for ext in kept if ext.name not in self._failed]
        try:
            return super().get_outputs()
        finally:
            self.extensions = kept

    def _skip(self, error: Exception) -> None:
        if _REQUIRED:
            raise error
        sys.stderr.write(
            f"warning: the compiled offline engine was not built ({error}); "
            "mcp-token-counter will count offline on its pure-Python path (exact, several times slower)\n"
        )


def _extensions() -> list[Extension]:
    engine = Extension("mcp_token_counter.offline.compiled._engine", ["server/mcp_token_counter/offline/compiled/_engine.pyx"])
    try:
        from Cython.Build import cythonize
    except ImportError:
        if _REQUIRED:
            raise
        sys.stderr.write("warning: Cython is missing; building without the compiled offline engine\n")
        return []
    # The generated C goes to build/, not beside the .pyx: only the compiled module lands in the package.
    return cythonize([engine], build_dir="build/cython", language_level=3, quiet=True)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
