"""Names the operator gives to things in AWS, derived only from the resource's identity."""

from __future__ import annotations

import hashlib
import re

from .spec import OWNERSHIP_TAG_PREFIX

MAX_GROUP_ID = 40
_HASH_LEN = 8


def replication_group_id(namespace: str, name: str, uid: str) -> str:
    """A valid, deterministic ElastiCache id: ≤ 40 chars, lowercase, starts with a letter, no `--`.

    The uid is part of the hash so that a RedisCluster deleted with `Retain` and created
    again under the same name gets a new group instead of silently adopting the old one.
    """
    digest = hashlib.sha256(f"{namespace}/{name}/{uid}".encode()).hexdigest()[:_HASH_LEN]
    slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", f"{namespace}-{name}".lower())).strip("-")
    if not slug[:1].isalpha():
        slug = f"rc-{slug}".rstrip("-")
    slug = slug[: MAX_GROUP_ID - _HASH_LEN - 1].rstrip("-")
    return f"{slug}-{digest}"


def snapshot_name(namespace: str, name: str, uid: str) -> str:
    """A RedisSnapshot's ElastiCache snapshot: from its identity like a group id, so a restart between
    CreateSnapshot and the status never takes a second one (the name is taken: SnapshotAlreadyExists)."""
    return replication_group_id(namespace, name, uid)


def final_snapshot_name(group_id: str, deletion_timestamp: str) -> str:
    """From the object's deletionTimestamp, so a retried delete asks for the same snapshot.
    2026-11-23T12:00:05Z → <group>-final-20261123-120005 (letters, digits, single hyphens)."""
    stamp = re.sub(r"[^0-9T]", "", deletion_timestamp).replace("T", "-")
    return f"{group_id}-final-{stamp}"


def pending_secret_name(connection_secret: str) -> str:
    """Beside the connection Secret: the token on its way to AWS (core/password.py)."""
    return f"{connection_secret[:245]}-pending"


def log_group_name(group_id: str) -> str:
    return f"/elasticache/{group_id}/slow-log"


TAG_NAMESPACE = f"{OWNERSHIP_TAG_PREFIX}namespace"
TAG_NAME = f"{OWNERSHIP_TAG_PREFIX}name"
TAG_UID = f"{OWNERSHIP_TAG_PREFIX}uid"
TAG_CLUSTER = f"{OWNERSHIP_TAG_PREFIX}cluster"


def ownership_tags(namespace: str, name: str, uid: str, cluster_name: str) -> dict[str, str]:
    return {TAG_NAMESPACE: namespace, TAG_NAME: name, TAG_UID: uid, TAG_CLUSTER: cluster_name}


def is_owned(tags: dict[str, str], uid: str) -> bool:
    """The uid tag alone decides: a group made for another object, or by hand, is never touched."""
    return tags.get(TAG_UID) == uid
