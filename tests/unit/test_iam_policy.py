"""docs/iam-policy.json grants exactly the AWS actions the operator calls."""

import json
import re

from elasticache_operator.core.plan import STEP_OPERATIONS

from ..support.processes import ROOT

POLICY = json.loads((ROOT / "docs" / "iam-policy.json").read_text())
# Implied by calls the code makes: DeleteReplicationGroup with FinalSnapshotIdentifier takes a
# snapshot; CreateLogGroup with tags tags it; ElastiCache's log delivery and its service-linked
# role are set up by AWS on the caller's behalf.
IMPLIED = {
    "elasticache:CreateSnapshot",
    "logs:TagResource",
    "iam:CreateServiceLinkedRole",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "ec2:CreateTags",  # CreateSecurityGroup with TagSpecifications tags the group as it makes it
}


def called_actions() -> set[str]:
    aws = ROOT / "operator" / "elasticache_operator" / "aws"
    calls = set()
    modules = (("elasticache.py", "elasticache"), ("logs.py", "logs"), ("tagging.py", "tag"), ("ec2.py", "ec2"))
    for module, prefix in modules:
        source = (aws / module).read_text()
        calls |= {f"{prefix}:{op}" for op in re.findall(r'_(?:call|pages)\(\s*"(\w+)"', source)}
    return calls | {f"elasticache:{op}" for op in STEP_OPERATIONS}  # sent by ElastiCache.apply(step)


def granted_actions() -> set[str]:
    actions = set()
    for statement in POLICY["Statement"]:
        value = statement["Action"]
        actions |= {value} if isinstance(value, str) else set(value)
    return actions


def test_every_call_is_granted_and_nothing_more():
    called = called_actions()
    assert "elasticache:CreateReplicationGroup" in called and "logs:PutRetentionPolicy" in called
    assert granted_actions() == called | IMPLIED


def test_changes_are_scoped_by_the_ownership_tag():
    for statement in POLICY["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if any(
            a.split(":")[1].startswith(
                ("Create", "Modify", "Delete", "Add", "Remove", "Increase", "Decrease", "Authorize", "Revoke")
            )
            for a in actions
            if a.startswith(("elasticache:", "ec2:"))
        ):
            condition = json.dumps(statement.get("Condition", {}))
            assert "elasticache-operator.io/cluster" in condition, statement["Sid"]


def test_snapshots_are_taken_with_the_ownership_tag_and_deleted_only_when_they_carry_it():
    for action, condition in (
        ("elasticache:CreateSnapshot", "aws:RequestTag/elasticache-operator.io/cluster"),
        ("elasticache:DeleteSnapshot", "aws:ResourceTag/elasticache-operator.io/cluster"),
        ("elasticache:TestFailover", "aws:ResourceTag/elasticache-operator.io/cluster"),
    ):
        statements = [s for s in POLICY["Statement"] if action in s["Action"]]
        assert any(condition in json.dumps(s.get("Condition", {})) for s in statements), action
