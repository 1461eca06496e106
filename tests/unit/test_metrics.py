from prometheus_client import REGISTRY

from elasticache_operator import metrics


def gauge(phase):
    return REGISTRY.get_sample_value("elasticache_operator_redisclusters", {"phase": phase})


def test_clusters_are_counted_by_phase_without_per_object_labels():
    metrics.record_phase("uid-a", "Creating")
    metrics.record_phase("uid-b", "Creating")
    assert gauge("Creating") == 2
    metrics.record_phase("uid-a", "Available")
    assert (gauge("Creating"), gauge("Available")) == (1, 1)
    metrics.record_phase("uid-b", None)
    metrics.record_phase("uid-a", None)
    assert (gauge("Creating"), gauge("Available")) == (0, 0)


def test_label_values_exist_before_first_use():
    assert gauge("NotOwned") == 0
    assert REGISTRY.get_sample_value("elasticache_operator_reconcile_total", {"result": "error"}) is not None
