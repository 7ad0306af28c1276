"""The web app (``truce serve``): a thin front end over :mod:`truce.api`.

:func:`create_app` builds a FastAPI app from :class:`WebSettings`: pages to choose or
write a scenario and read its report, and a JSON API with an OpenAPI document.  Jobs run
one at a time in a worker process; runs are kept in the run store.
"""

from truce.web.app import create_app as create_app
from truce.web.settings import WebSettings as WebSettings

__all__ = ["WebSettings", "create_app"]
