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


def _outcome(status, ready="False", reason="Creating", progressing=True):
    from elasticache_operator.core.conditions import Verdict
    from elasticache_operator.reconcile import Outcome

    return Outcome(status=status, verdict=Verdict(ready, reason, "", progressing=progressing))


def _conditions(reason="Creating", message="", ready="False"):
    return [{"type": "Ready", "status": ready, "reason": reason, "message": message, "observedGeneration": 1}]


def test_facts_alone_wait_while_aws_works_and_go_with_the_patch_that_ends_the_work():
    from elasticache_operator.handlers import FACTS, worth_writing

    current = {"observedGeneration": 1, "conditions": _conditions(message="Creating replication group g")}
    facts_only = {**current, "arn": "arn:g", "host": "h", "conditions": _conditions(message="AWS is creating it")}
    assert not worth_writing(FACTS, current, _outcome(facts_only))
    assert worth_writing(frozenset(), current, _outcome(facts_only))  # held long enough: written anyway
    memory = {**facts_only, "passwordPending": True}
    assert worth_writing(FACTS, current, _outcome(memory))
    ready = {**facts_only, "conditions": _conditions("Available", ready="True")}
    assert worth_writing(FACTS, current, _outcome(ready, "True", "Available", progressing=False))
    reason = {**current, "conditions": _conditions("Modifying")}
    assert worth_writing(FACTS, current, _outcome(reason, reason="Modifying"))
    settled = {**current, "host": "h"}  # not working: facts are written at once
    assert worth_writing(FACTS, current, _outcome(settled, "True", "Available", progressing=False))
    assert not worth_writing(FACTS, current, _outcome(dict(current)))
