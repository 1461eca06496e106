from urllib.parse import unquote, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from elasticache_operator.core.connection import SECRET_KEYS, connection_data, connection_url
from elasticache_operator.core.observed import Endpoints
from elasticache_operator.core.spec import AUTH_TOKEN_SPECIALS

ENDPOINTS = Endpoints(host="master.g.cache.amazonaws.com", reader_host="replica.g.cache.amazonaws.com", port=6380)
VALID_TOKEN = st.text(alphabet=st.sampled_from("abcXYZ019" + AUTH_TOKEN_SPECIALS), min_size=16, max_size=128)


def test_same_keys_whatever_the_mode():
    assert tuple(connection_data(ENDPOINTS, False, "p" * 16)) == SECRET_KEYS
    assert tuple(connection_data(ENDPOINTS, True, "p" * 16)) == SECRET_KEYS


def test_non_sharded_has_a_reader_host():
    data = connection_data(ENDPOINTS, False, "p" * 16)
    assert data["readerHost"] == ENDPOINTS.reader_host and data["sharding"] == "disabled"
    assert data["port"] == "6380" and data["tls"] == "true"


def test_sharded_has_no_reader_host():
    data = connection_data(ENDPOINTS, True, "p" * 16)
    assert data["readerHost"] == "" and data["sharding"] == "enabled"


@given(VALID_TOKEN)
def test_url_parses_back_to_the_password(password):
    parts = urlsplit(connection_url(ENDPOINTS.host, ENDPOINTS.port, password))
    assert parts.scheme == "rediss" and parts.username == "default"
    assert unquote(parts.password) == password
    assert (parts.hostname, parts.port) == (ENDPOINTS.host, ENDPOINTS.port)
