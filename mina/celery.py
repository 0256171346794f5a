"""The Celery app: a Redis broker when scaled, the in-process memory broker embedded."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mina.settings")

app = Celery("mina")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
