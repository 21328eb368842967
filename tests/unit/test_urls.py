"""The one URL policy of the link check (``folio.safety.web_target``,
``public_address``, ``local_name``): every way of writing this machine's address is
read as a browser reads it, before anything is judged (issue 12)."""

from __future__ import annotations

import ipaddress

import pytest

from folio.safety import BadURL, local_name, public_address, web_target

LOOPBACK = [
    "http://127.0.0.1/", "http://%31%32%37.0.0.1:8765/x", "http://2130706433/",
    "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/", "http://017700000001/",
    "http://0x7f000001/", "http://0x7F.0.0.1/", "http://127.0.0.1./", "http://127.0.0.1%2e/",
    "http://１２７.０.０.１/", "http://%EF%BC%91%EF%BC%92%EF%BC%97.0.0.1/",
    "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::1]/", "http://0/", "http://[::]/", "HTTP://user:pw@127.0.0.1:80/",
    "http://\t127.0.0.1/", "https://127.0.0.1:8443/",
]
LOCAL_NAMES = ["http://localhost/", "http://LOCALHOST:8000/", "http://localhost./",
               "http://%6c%6fcalhost/", "http://foo.localhost/", "http://ⓛocalhost/",
               "http://printer.local/", "http://router/", "http://db.internal/"]
PRIVATE = ["http://10.0.0.1/", "http://0xa.1/", "http://192.168.1.1/", "http://169.254.169.254/",
           "http://100.64.0.1/", "http://[fc00::1]/", "http://[fe80::1]/", "http://224.0.0.1/",
           "http://[::ffff:10.0.0.1]/", "http://255.255.255.255/"]
MALFORMED = ["http://:80\\@127.0.0.1/", "http://example.org:80\\@127.0.0.1/", "http://[::1/",
             "http://host:99999/", "http://host:8o/", "http://a..b/", "http://08.1.1.1/",
             "http://1.2.3.4.5/", "http://256.1.1.1/", "http://[fe80::1%25eth0]/",
             "http://%zz/", "http://%ff/", "http:///path", "http://a b/", "ftp://x/"]


@pytest.mark.parametrize("url", LOOPBACK)
def test_every_form_of_a_loopback_address_is_read_as_one_and_not_public(url):
    target = web_target(url)
    assert target.address is not None, url
    assert not public_address(target.address), (url, target.address)


@pytest.mark.parametrize("url", LOCAL_NAMES)
def test_names_of_this_machine_and_its_network_are_local_without_a_look_up(url):
    target = web_target(url)
    assert target.address is None and local_name(target.host), (url, target.host)


@pytest.mark.parametrize("url", PRIVATE)
def test_private_link_local_shared_and_multicast_addresses_are_not_public(url):
    assert not public_address(web_target(url).address), url


@pytest.mark.parametrize("url", MALFORMED)
def test_a_url_that_reads_two_ways_or_none_is_refused_with_a_reason(url):
    with pytest.raises(BadURL) as caught:
        web_target(url)
    assert str(caught.value), url


def test_public_targets_keep_their_host_for_the_request():
    target = web_target("https://Bücher.example:8443/a b/ü?q=ä#frag")
    assert (target.host, target.port, target.path) == (
        "xn--bcher-kva.example", 8443, "/a%20b/%C3%BC?q=%C3%A4")
    assert target.address is None and not local_name(target.host)
    assert target.url == "https://xn--bcher-kva.example:8443/a%20b/%C3%BC?q=%C3%A4"
    assert public_address(web_target("http://93.184.215.14/").address)
    assert public_address(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"))
    assert web_target("http://example.org").path == "/"
