"""Secrets stay secret: in a whole lifecycle run at DEBUG (a refused password, creation, rotation,
deletion), no password appears in the operator's logs, Events, status or error messages; the connection
Secret holds the documented keys only; everything is asked for with TLS and encryption at rest."""

import json

import pytest

from elasticache_operator.core.connection import SECRET_KEYS
from elasticache_operator.core.naming import replication_group_id

from ..support.stack import TOKEN, eventually

pytestmark = pytest.mark.integration

ROTATED = "rotated-secret-value-42"
REFUSED = "short/pass"
ALSO_REFUSED = "a-password-with@at-sign"


def test_no_password_is_ever_said_anywhere(stack, cluster, aws, namespace):
    with stack.operator("operator-debug", extra_env={"ELASTICACHE_OPERATOR_LOG_LEVEL": "DEBUG"}) as process:
        cluster.password_secret(namespace, name="bad-password", value=REFUSED)
        cluster.create(
            namespace, "refused", defaultUserPassword={"secretKeyRef": {"name": "bad-password", "key": "password"}}
        )
        cluster.wait_reason(namespace, "refused", "InvalidSpec")
        cluster.core.patch_namespaced_secret("bad-password", namespace, {"stringData": {"password": ALSO_REFUSED}})
        eventually(lambda: "'@'" in cluster.condition(namespace, "refused")["message"], 30, message="@ refused")

        created = cluster.create(namespace, "quiet")
        cluster.wait_ready(namespace, "quiet", timeout=60)
        cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": ROTATED}})
        eventually(lambda: cluster.secret_data(namespace, "quiet-redis")["password"] == ROTATED, 60, message="rotated")
        eventually(
            lambda: (
                "quiet-redis-pending"
                not in [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]
            ),
            60,
            message="rotation done",
        )
        said = json.dumps([cluster.get(namespace, n) for n in ("refused", "quiet")])
        cluster.delete(namespace, "quiet")
        eventually(lambda: not cluster.exists(namespace, "quiet"), 60, message="deleted")
        events = " ".join(f"{e.reason} {e.message}" for e in cluster.core.list_namespaced_event(namespace).items)
        process.terminate()
        process.wait(timeout=30)
    log = (stack.logs_dir / "operator-debug.log").read_text()
    assert "DEBUG" in log or '"debug"' in log.lower()  # the run really logged at DEBUG
    for password in (TOKEN, ROTATED, REFUSED, ALSO_REFUSED):
        assert password not in log and password not in events and password not in said, password
    group_id = replication_group_id(namespace, "quiet", created["metadata"]["uid"])
    assert group_id in log  # the scan read a log that talks about this very cluster


def test_the_connection_secret_has_the_documented_keys_and_everything_is_encrypted(stack, cluster, aws, namespace):
    with stack.operator("operator"):
        created = cluster.create(namespace, "tidy")
        cluster.wait_ready(namespace, "tidy", timeout=60)
        secret = cluster.core.read_namespaced_secret("tidy-redis", namespace)
    assert set(secret.data) == set(SECRET_KEYS)
    [owner] = secret.metadata.owner_references
    assert owner.uid == created["metadata"]["uid"] and owner.controller
    data = cluster.secret_data(namespace, "tidy-redis")
    assert data["tls"] == "true" and data["url"].startswith("rediss://")
    group = aws.group(replication_group_id(namespace, "tidy", created["metadata"]["uid"]))
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"] and group["AuthTokenEnabled"]
