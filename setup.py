"""Optional mypyc compilation of the engine's hot modules (the rest of the metadata is in pyproject.toml).

`pip install [-e] .` compiles HOT_MODULES to C extensions with mypyc (mypy comes from the
build-system requires): Engine.audit runs about 1.8x faster, with the same verdicts. It is an
optimisation only, so it never fails the install: with AUDITOR_PURE_PYTHON=1, without mypy, without a
C compiler or Python headers, or when compiling fails for any other reason, the package is installed
as plain Python with a warning.

Editable installs put the compiled modules next to their sources (auditor/**/*.so, git-ignored).
Python loads an extension module before a .py of the same name, so after editing one of these sources
run `pip install -e .` again (or install with AUDITOR_PURE_PYTHON=1, which removes them); the engine
warns and loads the sources when they changed since they were compiled (auditor/compiled.py).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import sys
import traceback

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
# the same list as auditor/compiled.py (which loads them)
HOT_MODULES = [
    "auditor/types.py",
    "auditor/engine/core.py",
    "auditor/engine/evaluate.py",
    "auditor/engine/language.py",
    "auditor/engine/links.py",
    "auditor/engine/nlp.py",
    "auditor/engine/signals.py",
]
# one shared library for the group (cross-module calls stay native): auditor/native__mypyc.*.so (in the
# top package: importing it must not run auditor/engine/__init__, which imports the modules it holds)
GROUP = "auditor.native"
# what the package reads at import (auditor/compiled.py): whether the build compiled it, why not,
# and the sha256 of each source the extensions were compiled from
MANIFEST = "auditor/_compiled.json"
# commands that only read metadata (PEP 517 get_requires / prepare_metadata): nothing to compile
METADATA_COMMANDS = {"egg_info", "dist_info", "sdist"}
MYPY_OPTIONS = ["--ignore-missing-imports", "--follow-imports=silent"]


def _pure_requested() -> bool:
    return os.environ.get("AUDITOR_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no")


def _warn(reason: str) -> None:
    bar = "=" * 78
    sys.stderr.write(f"\n{bar}\nWARNING: auditor: {reason}\n"
                     "The engine is installed as pure Python: same results, about 1.8x slower.\n"
                     f"{bar}\n\n")


def _in_tree_artifacts() -> list[str]:
    """Compiled modules left in the source tree by an earlier (editable or in-place) build (also those of
    builds before the group moved from auditor/engine to auditor)."""
    found = []
    for path in HOT_MODULES:
        stem = os.path.join(HERE, os.path.splitext(path)[0])
        found += glob.glob(f"{stem}.*.so") + glob.glob(f"{stem}.*.pyd")
    for folder in (os.path.join(HERE, "auditor"), os.path.join(HERE, "auditor", "engine")):
        found += glob.glob(os.path.join(folder, "native__mypyc.*"))
        found += [p for p in [os.path.join(folder, "_compiled.json")] if os.path.exists(p)]
    return found


def _remove_in_tree_artifacts() -> None:
    # Python would load a stale extension module before the .py it was compiled from
    for path in _in_tree_artifacts():
        os.remove(path)


def _source_hashes() -> dict[str, str]:
    out = {}
    for path in HOT_MODULES:
        with open(os.path.join(HERE, path), "rb") as fh:
            out[path.removeprefix("auditor/")] = hashlib.sha256(fh.read()).hexdigest()
    return out


class OptionalMypycBuildExt(build_ext):
    """Runs mypyc when the extensions are built (not each time setup.py is read), all or nothing."""

    _failure = ""
    _mypyc_ran = False

    def finalize_options(self) -> None:
        # setuptools finalizes build_ext in the metadata hooks too (egg_info lists its sources): mypyc
        # (~20 s a pass) runs only when something is built
        if not self._mypyc_ran and not set(self.distribution.commands) <= METADATA_COMMANDS:
            self._mypyc_ran = True
            try:
                self.distribution.ext_modules = self._mypycify()
            except Exception as exc:   # noqa: BLE001 - mypy missing or rejecting the sources
                self._give_up(exc)
        super().finalize_options()
        if self._failure:
            self._note_failure()   # build_ext will not run: there is nothing left to build

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
            self._write_manifest({"compiled": True, "sources": _source_hashes()})
        except Exception as exc:   # noqa: BLE001 - no compiler, no Python.h, ...
            self._discard()
            self._give_up(exc)
            self._note_failure()

    @staticmethod
    def _mypycify() -> list[Extension]:
        try:
            from mypyc.build import mypycify
        except ImportError as exc:
            raise RuntimeError("mypy/mypyc is not installed in the build environment") from exc
        cwd = os.getcwd()
        os.chdir(HERE)   # mypyc works with the relative paths, and writes its C under ./build
        try:
            return mypycify(MYPY_OPTIONS + HOT_MODULES, opt_level="3", group_name=GROUP)
        except SystemExit as exc:   # mypy's type errors end in sys.exit
            raise RuntimeError(f"mypyc rejected the sources (exit {exc.code})") from None
        finally:
            os.chdir(cwd)

    def _give_up(self, exc: Exception) -> None:
        if os.environ.get("AUDITOR_MYPYC_DEBUG"):
            traceback.print_exc()
        self.distribution.ext_modules = []
        self.extensions = []
        self._failure = f"compiling the engine with mypyc failed ({type(exc).__name__}: {exc})"[:500]
        _warn(self._failure + ".")

    def _note_failure(self) -> None:
        # pip shows the warning only with -v: the engine tells it too (auditor.engine.BUILD)
        try:
            self._write_manifest({"compiled": False, "reason": self._failure})
        except Exception:   # noqa: BLE001 - a note only
            pass

    def _write_manifest(self, content: dict) -> None:
        manifest = json.dumps(content, indent=1, sort_keys=True) + "\n"
        # next to the extensions in the build directory (wheels) and in the tree (in-place, editable)
        targets = {os.path.join(self.build_lib, *MANIFEST.split("/"))}
        if self.inplace or getattr(self, "editable_mode", False) or "editable_wheel" in self.distribution.commands:
            targets.add(os.path.join(HERE, MANIFEST))
        for target in targets:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(manifest)

    def _discard(self) -> None:
        """A partial build must not be installed: the modules' shims need the shared library."""
        for ext in self.extensions:
            for path in {self.get_ext_fullpath(ext.name), os.path.join(HERE, self.get_ext_filename(ext.name))}:
                if os.path.exists(path):
                    os.remove(path)
        _remove_in_tree_artifacts()


def _ext_modules() -> tuple[list[Extension], dict]:
    if _pure_requested():
        _remove_in_tree_artifacts()
        _warn("AUDITOR_PURE_PYTHON is set: the engine is not compiled.")
        return [], {}
    # a placeholder, so that setuptools runs build_ext (and tags the wheel); the real extensions
    # are made by mypyc in OptionalMypycBuildExt.finalize_options
    return [Extension("auditor.engine.core", sources=[])], {"build_ext": OptionalMypycBuildExt}


ext_modules, cmdclass = _ext_modules()
setup(ext_modules=ext_modules, cmdclass=cmdclass)
