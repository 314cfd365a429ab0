"""auditor: advertising-disclosure compliance for influencer marketing posts."""
from auditor import compiled as _compiled  # noqa: F401 - first: picks the build of the hot modules

__version__ = "0.1.0"
