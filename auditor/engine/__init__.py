"""Pure analysis: text extraction, language, spaCy matchers, links, evaluation."""
from auditor.engine.core import Engine

__all__ = ["Engine"]
