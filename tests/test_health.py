import pytest


def test_liveness_needs_no_database(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_detailed_is_200_with_every_component_up(client):
    response = client.get("/health/detailed")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "channel_layer", "cache", "job_runner", "speech_model"}


@pytest.mark.django_db
def test_detailed_names_a_missing_speech_model(client, settings, tmp_path):
    settings.MINA_WHISPER_MODEL = str(tmp_path / "nowhere")
    response = client.get("/health/detailed")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["speech_model"]


@pytest.fixture
def model_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache of our own, where faster-whisper looks for sizes."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def cache_model(cache, repo="Systran/faster-whisper-base.en"):
    folder = cache / f"models--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("0123abcd")
    snapshot = folder / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (snapshot / "model.bin").write_bytes(b"weights")
    return snapshot


@pytest.mark.django_db
def test_a_size_name_that_would_download_is_reported_honestly(client, settings, model_cache):
    settings.MINA_WHISPER_MODEL = "base.en"
    body = client.get("/health/detailed").json()
    assert body["down"] == ["speech_model"]
    assert body["components"]["speech_model"]["error"] == (
        "'base.en' is not bundled, not a folder and not in the local model cache: it would be downloaded"
    )


@pytest.mark.django_db
def test_a_size_name_in_the_local_cache_is_up(client, settings, model_cache):
    from transcription.engines.speech_local import resolve_model_path

    snapshot = cache_model(model_cache)
    settings.MINA_WHISPER_MODEL = "base.en"
    assert resolve_model_path("base.en") == str(snapshot)  # loaded from there: no network
    assert client.get("/health/detailed").json()["components"]["speech_model"]["status"] == "up"


@pytest.mark.django_db
def test_the_bundled_model_by_name_and_a_model_folder_are_up(client, settings, tmp_path):
    (tmp_path / "model.bin").write_bytes(b"weights")
    for name in ("tiny.en", str(tmp_path)):
        settings.MINA_WHISPER_MODEL = name
        assert client.get("/health/detailed").json()["components"]["speech_model"]["status"] == "up", name


@pytest.mark.django_db
def test_detailed_names_a_channel_layer_that_is_down(client, settings):
    from channels.layers import channel_layers

    # A Redis nobody listens on (port 9 is discard; nothing answers there).
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]}}
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/health/detailed")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert "channel_layer" in response.json()["down"]
