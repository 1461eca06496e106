"""kstatus (kubectl wait-free GitOps tools, Flux, kpt) reads the operator's statuses correctly."""

from ..support import kstatus


def test_kstatus_for_every_phase(phase):
    name, obj, _, expected = phase
    assert kstatus.compute(obj) == expected, name


def test_ready_is_never_current_while_aws_still_works():
    from .conftest import PHASES

    for name in ("creating", "modifying", "throttled", "spec not yet observed"):
        assert kstatus.compute(PHASES[name][0]) != kstatus.CURRENT, name
