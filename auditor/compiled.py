"""Which build of the hot modules runs: mypyc-compiled (setup.py) or pure Python.

Python loads an extension module before the .py of the same name, so compiled modules that no longer
match their sources (edited since an editable install) would silently run old code: then, or when
AUDITOR_PURE_PYTHON is set, every one of them is loaded from its .py instead (all or none: compiled
modules call each other natively). Imported by the package's __init__, before any hot module is.
"""
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# module -> its source, relative to the package (setup.py compiles the same list)
HOT_MODULES = {
    "auditor.types": "types.py",
    "auditor.engine.core": "engine/core.py",
    "auditor.engine.evaluate": "engine/evaluate.py",
    "auditor.engine.language": "engine/language.py",
    "auditor.engine.links": "engine/links.py",
    "auditor.engine.nlp": "engine/nlp.py",
    "auditor.engine.signals": "engine/signals.py",
}
MANIFEST = os.path.join(_PACKAGE, "_compiled.json")


def _read_manifest() -> dict:
    """What the build said (setup.py): {"compiled": true, "sources": {path: sha256}} or
    {"compiled": false, "reason": ...}; {} without one (AUDITOR_PURE_PYTHON, or not built by setup.py)."""
    try:
        with open(MANIFEST, encoding="utf-8") as fh:
            found = json.load(fh)
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _is_extension(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)


def _compiled_mismatch(manifest: dict) -> str | None:
    """Why the compiled modules must not be used ("" when they may; None when there are none)."""
    # auditor.types: a module of this package, found without importing the engine package
    if not _is_extension("auditor.types"):
        return None
    if os.environ.get("AUDITOR_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no"):
        return "AUDITOR_PURE_PYTHON is set"
    built = manifest.get("sources")
    if not isinstance(built, dict):
        return "their build manifest (auditor/_compiled.json) is missing"
    for source in HOT_MODULES.values():
        try:
            with open(os.path.join(_PACKAGE, source), "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            continue   # installed without sources: nothing to be out of date with
        if built.get(source) != digest:
            return f"auditor/{source} changed since it was compiled (run `pip install -e .` again)"
    return ""


class _SourceFinder:
    """Loads the hot modules from their .py files, never from compiled extensions."""

    sources = {name: os.path.join(_PACKAGE, source) for name, source in HOT_MODULES.items()}

    def find_spec(self, fullname, path=None, target=None):
        source = self.sources.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source else None


_manifest = _read_manifest()
_why = _compiled_mismatch(_manifest)
if _why:
    if "AUDITOR_PURE_PYTHON" not in _why:
        warnings.warn(f"auditor: not using the compiled modules: {_why}", RuntimeWarning, stacklevel=2)
    sys.meta_path.insert(0, _SourceFinder())
COMPILED = _why == ""   # the hot modules run mypyc-compiled code
# how the engine runs, for benchmarks and bug reports
BUILD = "compiled (mypyc)" if COMPILED else "pure Python" + (
    f" ({_why})" if _why else f" ({_manifest['reason']})" if _manifest.get("reason") else "")
