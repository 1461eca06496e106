"""The operator's one rate for all AWS calls, and what it does with throttling."""

from elasticache_operator.aws.calls import TokenBucket
from elasticache_operator.aws.errors import AWSCallError, Kind
from elasticache_operator.kube.status import changed_fields


class FakeTime:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_a_burst_passes_then_calls_are_spread_at_the_rate():
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=5, clock=time.clock, sleep=time.sleep)
    assert [bucket.acquire() for _ in range(5)] == [0.0] * 5
    waits = [bucket.acquire() for _ in range(10)]
    assert all(abs(w - 0.1) < 1e-9 for w in waits)  # one call every 1/rate seconds
    assert abs(time.now - 101.0) < 1e-9


def test_the_bucket_refills_but_never_beyond_the_burst():
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=3, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        bucket.acquire()
    time.now += 60  # an idle minute
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() > 0


def test_throttling_is_its_own_kind_of_transient():
    throttled = AWSCallError("DescribeReplicationGroups", "Throttling", "Rate exceeded", 400)
    assert throttled.throttled and throttled.kind is Kind.TRANSIENT
    assert not AWSCallError("CreateReplicationGroup", "InsufficientCacheClusterCapacity", "", 400).throttled


def test_only_changed_status_fields_are_written():
    current = {"status": "available", "shards": 1, "applying": {"step": 1}}
    wanted = {"status": "available", "shards": 2, "applying": None, "passwordPending": None}
    assert changed_fields(current, wanted) == {"shards": 2, "applying": None}
    assert changed_fields(current, {"status": "available"}) == {}


def test_no_aws_change_starts_once_leadership_may_have_lapsed():
    import pytest

    from elasticache_operator.aws.calls import Calls

    leading = [True]
    calls = Calls(TokenBucket(rate=100, burst=100), max_concurrent_writes=2, may_write=lambda: leading[0])
    sent = []
    assert calls("ModifyReplicationGroup", lambda **kw: sent.append(kw) or "ok", write=True, x=1) == "ok"
    leading[0] = False
    with pytest.raises(AWSCallError) as refused:
        calls("ModifyReplicationGroup", lambda **kw: sent.append(kw), write=True, x=2)
    assert refused.value.code == "LeadershipLost" and sent == [{"x": 1}]
    assert calls("DescribeReplicationGroups", lambda **kw: "read") == "read"  # reads need no leadership


def test_throttling_is_waited_out_then_reported_only_past_the_patience():
    import pytest

    from elasticache_operator.aws.calls import Calls

    slept = []
    answers = iter(["throttle", "throttle", "ok"])

    def flaky(**_):
        if next(answers) == "throttle":
            raise AWSCallError("DescribeEvents", "Throttling", "Rate exceeded", 400)
        return "listed"

    calls = Calls(TokenBucket(rate=100, burst=100), 2, throttle_patience=10, sleep=slept.append)
    assert calls("DescribeEvents", flaky) == "listed" and len(slept) == 2 and slept[1] > slept[0] / 2

    def always_throttled(**_):
        raise AWSCallError("DescribeEvents", "Throttling", "Rate exceeded", 400)

    impatient = Calls(TokenBucket(rate=100, burst=100), 2, throttle_patience=3, sleep=slept.append)
    with pytest.raises(AWSCallError):
        impatient("DescribeEvents", always_throttled)
