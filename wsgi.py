"""gunicorn entry point: `gunicorn -c gunicorn.conf.py wsgi:app`. Settings come from the environment."""
from auditor.web import create_app

app = create_app()
