"""Run an audit worker in the foreground: `python worker.py [--burst]` (same as `auditor worker`)."""
import sys

from auditor.worker import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
