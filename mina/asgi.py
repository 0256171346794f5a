"""HTTP and WebSocket routing.

Sockets are authenticated by TokenAuthMiddleware (JWT subprotocol, or the session
cookie with its Origin checked against ALLOWED_HOSTS).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mina.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.socket_auth import TokenAuthMiddleware  # noqa: E402
from mina.memory import start_trimming  # noqa: E402
from mina.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)

start_trimming(settings.MINA_MEMORY_TRIM_S)
