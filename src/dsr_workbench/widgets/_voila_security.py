"""Loaded by the Voilà process that ``dsr present`` starts: only the served origin may connect.

Jupyter Server skips its origin check for token-authenticated requests, so with the token
(which the page URL carries) a page of any other site could open the kernel's websocket.
:class:`SameOriginIdentityProvider` checks the ``Origin`` header of every request, token or
not: a request that names an origin other than the served one (``allow_origin`` of the
tornado settings, ``http://127.0.0.1:PORT``) is refused with 403 before any handler runs.
Requests without an ``Origin`` header (a browser navigating to the page, scripts) still
need the token.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import PasswordIdentityProvider
from tornado import web

__all__ = ["SameOriginIdentityProvider"]


class SameOriginIdentityProvider(PasswordIdentityProvider):  # type: ignore[misc]
    """Jupyter Server's token login, plus an origin check on every request."""

    def should_check_origin(self, handler: web.RequestHandler) -> bool:
        """Always check the origin (Jupyter Server skips it for token-authenticated calls)."""
        return True

    def get_user(self, handler: web.RequestHandler) -> Any:
        """Refuse (403) a request from a foreign origin, else authenticate it as usual."""
        origin = handler.request.headers.get("Origin")
        allowed = str(handler.settings.get("allow_origin") or "")
        if origin is not None and allowed and origin.lower().rstrip("/") != allowed.lower():
            self.log.warning("refused a request from origin %s (served: %s)", origin, allowed)
            raise web.HTTPError(403, "foreign origin")
        return super().get_user(handler)
