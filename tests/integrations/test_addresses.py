"""Webhook addresses on the server's own networks are refused, at registration and
again when delivering."""

import pytest

from core.errors import Invalid
from integrations import services
from integrations.addresses import Refused, check


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.5/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_it_refuses_private_loopback_and_link_local_addresses(url):
    with pytest.raises(Refused, match="private, loopback or link-local"):
        check(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/", "hook", "https:///x"])
def test_it_refuses_addresses_that_are_not_https(url):
    with pytest.raises(Refused):
        check(url, allow_private=False)


def test_it_refuses_credentials_in_the_address():
    with pytest.raises(Refused, match="user name or password"):
        check("https://me:pw@93.184.215.14/hook", allow_private=False)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(Refused, match="could not be resolved"):
        check("https://nothing.invalid/hook", allow_private=False)


def test_a_public_address_is_accepted_and_pinned():
    target = check("https://93.184.215.14:8443/hook?x=1", allow_private=False)
    assert target.address == "93.184.215.14"
    assert target.pinned_url == "https://93.184.215.14:8443/hook?x=1"


def test_the_operator_setting_allows_local_receivers_over_http():
    assert check("http://127.0.0.1:9/hook", allow_private=True).address == "127.0.0.1"


def test_registration_refuses_a_private_address_with_a_readable_error(admin_membership, settings):
    settings.MINA_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(Invalid) as error:
        services.endpoint_create(membership=admin_membership, url="https://10.0.0.7/hook", events=["task.created"])
    assert "10.0.0.7" in error.value.fields["url"][0]
    assert not admin_membership.workspace.webhook_endpoints.exists()
