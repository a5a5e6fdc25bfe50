"""The on-call console: an HTML shell and static files that call the /v1 API from the browser."""

from smileback.api.console.routes import CONTENT_SECURITY_POLICY, router

__all__ = ["CONTENT_SECURITY_POLICY", "router"]
