from elasticache_operator.core import conditions as c


def test_first_visit_sets_all_three_conditions():
    result = c.apply_verdict([], c.verdict_for_aws_status("creating"), 1, "t1")
    by_type = {x["type"]: x for x in result}
    assert by_type["Ready"]["status"] == "False" and by_type["Ready"]["reason"] == "Creating"
    assert by_type["Reconciling"]["status"] == "True" and by_type["Stalled"]["status"] == "False"
    assert all(x["observedGeneration"] == 1 and x["lastTransitionTime"] == "t1" for x in result)


def test_transition_time_moves_only_when_status_flips():
    first = c.set_condition([], "Ready", "False", "Creating", "m", 1, "t1")
    same = c.set_condition(first, "Ready", "False", "Modifying", "m2", 2, "t2")
    assert same[0]["lastTransitionTime"] == "t1" and same[0]["reason"] == "Modifying"
    flipped = c.set_condition(same, "Ready", "True", "Available", "m3", 2, "t3")
    assert flipped[0]["lastTransitionTime"] == "t3"


def test_other_conditions_are_kept_in_place():
    start = [{"type": "Other", "status": "True"}]
    result = c.set_condition(start, "Ready", "True", "Available", "", 1, "t")
    assert [x["type"] for x in result] == ["Other", "Ready"]


def test_every_aws_status_maps_to_a_camelcase_reason():
    for status in ["creating", "available", "modifying", "snapshotting", "deleting", "create-failed", "weird"]:
        reason = c.verdict_for_aws_status(status).reason
        assert reason[0].isupper() and reason.isalnum()
    assert c.verdict_for_aws_status("weird").reason == c.UNKNOWN_STATUS
