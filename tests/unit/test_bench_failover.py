"""The pure parts of bench/failover.py and of bench/traffic.py it shares with bench/resharding.py: the
write gap through a failover, the summary line, the acknowledged writes found lost, and the document
section each benchmark rewrites without touching the others'."""

import pytest
from bench.failover import Scenario, WriteGap, summary, write_gap
from bench.traffic import Application, write_section


def gap_of(acks, called, ended):
    gap = write_gap(acks, called, ended)
    return gap.longest, gap.resumed


def test_the_longest_gap_is_counted_from_the_last_write_before_the_call():
    acks = [9.0, 9.9, 10.1, 10.2, 11.5, 11.6, 12.0]
    assert gap_of(acks, called=10.0, ended=12.0) == pytest.approx((1.3, 1.5))
    # The gap may span the call: the last write before it is where the silence began.
    assert gap_of([8.0, 10.4, 10.5], called=10.0, ended=11.0) == pytest.approx((2.4, 0.4))


def test_gaps_after_the_group_is_available_again_do_not_count():
    acks = [9.9, 10.1, 10.2, 12.5, 20.0]
    assert gap_of(acks, called=10.0, ended=11.0) == pytest.approx((2.3, 2.5))  # began before `ended`: whole
    assert gap_of([9.9, 10.1, 11.2, 30.0], called=10.0, ended=11.0) == pytest.approx((1.1, 1.2))


def test_writes_that_never_resume_have_no_resumption():
    assert write_gap([9.0, 9.5], called=10.0, ended=14.0) == WriteGap(longest=4.5, resumed=None)
    assert write_gap([], called=10.0, ended=12.0) == WriteGap(longest=2.0, resumed=None)


def test_an_undisturbed_client_has_only_its_own_pace_as_a_gap():
    acks = [10.0 + n / 100 for n in range(1, 200)]
    gap = write_gap(acks, called=10.0, ended=11.0)
    assert gap.longest == pytest.approx(0.01) and gap.resumed is not None and gap.resumed <= 1.0


def test_the_summary_says_what_the_client_saw():
    line = summary(Scenario("replicated", False), WriteGap(0.84, 0.9), failed=3, lost=0, written=1200)
    assert line == (
        "TestFailover of node group 0001: longest time without an acknowledged write 0.84 s, writes resumed "
        "0.90 s after the call; failed commands 3; acknowledged writes 1200, lost 0"
    )
    assert "writes never resumed" in summary(Scenario("x", True, "0002"), WriteGap(5.0, None), 9, 0, 10)


class FakeRedis:
    def __init__(self, data):
        self.data = data
        self.calls = 0

    def mget(self, keys):
        self.calls += 1
        return [self.data.get(k) for k in keys]


def test_lost_writes_are_those_not_read_back_as_written():
    app = Application(connect=lambda: None)
    app.written = list(range(1, 2501))
    data = {f"session:{n}": f"user-{n}".encode() for n in app.written}
    data["session:7"] = b"someone-else"
    del data["session:2000"]
    check = FakeRedis(data)
    assert app.lost(check) == [7, 2000]
    assert check.calls == 3  # read back a thousand at a time


def test_each_benchmark_rewrites_only_its_own_section(tmp_path):
    doc = tmp_path / "data-plane.md"
    write_section(doc, "resharding", "## Resharding\n\nfirst")
    write_section(doc, "failover", "## Failover\n\nfirst")
    write_section(doc, "resharding", "## Resharding\n\nsecond")
    text = doc.read_text()
    assert text.startswith("# The data plane under change")
    assert "second" in text and text.count("## Resharding") == 1 and "## Failover\n\nfirst" in text
    assert text.index("<!-- resharding: begin -->") < text.index("<!-- failover: begin -->")
    write_section(doc, "failover", "## Failover\n\nagain")
    assert doc.read_text().count("<!-- failover: end -->") == 1 and "again" in doc.read_text()
