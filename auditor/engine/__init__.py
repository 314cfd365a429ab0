"""Pure analysis: text extraction, language, spaCy matchers, links, evaluation.

The hot modules may be compiled with mypyc (setup.py); auditor.compiled says which build runs."""
from auditor.compiled import BUILD, COMPILED, HOT_MODULES
from auditor.engine.core import Engine

__all__ = ["BUILD", "COMPILED", "HOT_MODULES", "Engine"]
