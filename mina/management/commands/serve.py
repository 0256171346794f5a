"""Serve Mina in one process: pages, API, sockets, live transcription and jobs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

PROXY_HEADERS = {
    "proxy_forwarded_address_header": "X-Forwarded-For",
    "proxy_forwarded_port_header": "X-Forwarded-Port",
    "proxy_forwarded_proto_header": "X-Forwarded-Proto",
}


class Command(BaseCommand):
    help = "Serve Mina (Daphne) with the embedded job runner; HOST and PORT choose the address."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.HOST)
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--no-jobs", action="store_true", help="Do not run jobs here (scaled mode).")

    def handle(self, *args: Any, host: str, port: int, no_jobs: bool, **options: Any) -> None:
        # Start-up order: importing daphne.server installs Twisted's asyncio reactor, which
        # must happen before the ASGI app (and what it imports) touches an event loop, and
        # only when serving, not whenever Django loads this command.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from mina import embedded
        from mina.asgi import application

        if not no_jobs and not settings.SCALED:
            embedded.start_worker()
            embedded.start_timer()
            embedded.recover()
        url = f"http://{host}:{port}/"
        manage = f"{'DEBUG=1 ' if settings.DEBUG else ''}.venv/bin/python manage.py"
        self.stdout.write(
            f"Mina is running on {url}\n"
            f"  Sign up at {url}accounts/sign-up/ (the first account can create a workspace),\n"
            f"  or make an admin with: {manage} createsuperuser\n"
            f"  Health: {url}health/detailed   Stop with Ctrl-C."
        )
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            websocket_timeout=-1,
            application_close_timeout=10,
            # Behind a proxy that sets them (docs/deployment.md): the client's address
            # for rate limits and the audit log. Never without one: anyone could forge them.
            **(PROXY_HEADERS if settings.MINA_PROXY_HEADERS else {}),
        ).run()
