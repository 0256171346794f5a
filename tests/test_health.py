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
