"""The kopf glue's own decisions: which objects an installation claims, and under which finalizer."""

import re

from elasticache_operator.handlers import finalizer_name

QUALIFIED_NAME = re.compile(r"^[a-z0-9.-]{1,253}/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def test_each_installation_has_a_finalizer_of_its_own():
    names = {finalizer_name(instance) for instance in ("", "eu", "us", "x" * 63, "y" * 63)}
    assert len(names) == 5
    assert all(QUALIFIED_NAME.match(name) for name in names), names


def test_the_default_installation_keeps_the_finalizer_it_always_had():
    assert finalizer_name("") == "redis.elasticache-operator.io/finalizer"
