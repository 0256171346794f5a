from django.apps import AppConfig
from threadpoolctl import threadpool_limits


class TranscriptionConfig(AppConfig):
    name = "transcription"

    def ready(self) -> None:
        # numpy's OpenBLAS wakes a helper thread per core for each small product (the mel
        # filters of every decode) and leaves them spinning after it: beside Whisper's own
        # threads that burned most of a second core, and one live stream cost 0.29-0.31
        # cores instead of 0.17 (docs/performance.md, "Numpy's idle threads"). Every
        # process that decodes runs Django, so this is the one place to say it.
        threadpool_limits(limits=1, user_api="blas")
        # Register this app's Celery tasks (services queue them by name: core.jobs.enqueue)
        # and its receivers of other apps' signals.
        from . import receivers, tasks  # noqa: F401
