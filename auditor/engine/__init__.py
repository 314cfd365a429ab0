"""Pure analysis: text extraction, language, spaCy matchers, links, evaluation.

The hot modules may be compiled with mypyc (setup.py). Python loads an extension module before the
.py of the same name, so compiled modules that no longer match their sources (edited since an
editable install) would silently run old code: then, or when AUDITOR_PURE_PYTHON is set, every one
of them is loaded from its .py instead (all or none: compiled modules call each other natively).
"""
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
HOT_MODULES = ("core", "evaluate", "language", "links", "nlp", "signals")


def _read_manifest() -> dict:
    """What the build said (setup.py): {"compiled": true, "sources": {name: sha256}} or
    {"compiled": false, "reason": ...}; {} without one (AUDITOR_PURE_PYTHON, or not built by setup.py)."""
    try:
        with open(os.path.join(_HERE, "_compiled.json"), encoding="utf-8") as fh:
            found = json.load(fh)
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _compiled_mismatch(manifest: dict) -> str | None:
    """Why the compiled modules must not be used ("" when they may; None when there are none)."""
    spec = importlib.util.find_spec(f"{__name__}.core")
    if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
        return None
    if os.environ.get("AUDITOR_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no"):
        return "AUDITOR_PURE_PYTHON is set"
    built = manifest.get("sources")
    if not isinstance(built, dict):
        return "their build manifest (_compiled.json) is missing"
    for name in HOT_MODULES:
        try:
            with open(os.path.join(_HERE, f"{name}.py"), "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            continue   # installed without sources: nothing to be out of date with
        if built.get(f"{name}.py") != digest:
            return f"{name}.py changed since it was compiled (run `pip install -e .` again)"
    return ""


class _SourceFinder:
    """Loads the hot modules from their .py files, never from compiled extensions."""

    names = {f"{__name__}.{name}": os.path.join(_HERE, f"{name}.py") for name in HOT_MODULES}

    def find_spec(self, fullname, path=None, target=None):
        source = self.names.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source else None


_manifest = _read_manifest()
_why = _compiled_mismatch(_manifest)
if _why:
    if "AUDITOR_PURE_PYTHON" not in _why:
        warnings.warn(f"auditor.engine: not using the compiled engine modules: {_why}", RuntimeWarning,
                      stacklevel=2)
    sys.meta_path.insert(0, _SourceFinder())
COMPILED = _why == ""   # the engine runs mypyc-compiled code
# how the engine runs, for benchmarks and bug reports
BUILD = "compiled (mypyc)" if COMPILED else "pure Python" + (
    f" ({_why})" if _why else f" ({_manifest['reason']})" if _manifest.get("reason") else "")

from auditor.engine.core import Engine  # noqa: E402

__all__ = ["BUILD", "COMPILED", "Engine"]
