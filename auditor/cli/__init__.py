"""The `auditor` command. Each module adds its commands to the one group."""
from __future__ import annotations

import importlib.util

import click

from auditor import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def main() -> None:
    """Audit influencer posts for advertising-disclosure compliance."""


# command modules register themselves on `main`
from auditor.cli import check as _check  # noqa: E402,F401
from auditor.cli import rules as _rules  # noqa: E402,F401

# the service's commands (db, orgs, keys, users, worker, requeue, campaign, serve)
if importlib.util.find_spec("auditor.cli.service") is not None:
    from auditor.cli import service as _service  # noqa: E402,F401
