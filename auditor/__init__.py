"""auditor: advertising-disclosure compliance for influencer marketing posts."""
__version__ = "0.1.0"
