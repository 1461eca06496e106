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


def test_the_counts_follow_many_objects_and_repeated_visits():
    for i in range(50):
        metrics.record_phase(f"uid-{i}", "Creating")
        metrics.record_phase(f"uid-{i}", "Creating")  # a visit that changes nothing counts nothing
    for i in range(20):
        metrics.record_phase(f"uid-{i}", "Available")
    metrics.record_phase("uid-49", None)
    metrics.record_phase("uid-49", None)  # forgetting twice
    assert (gauge("Creating"), gauge("Available")) == (29, 20)
    for i in range(49):
        metrics.record_phase(f"uid-{i}", None)
    assert (gauge("Creating"), gauge("Available")) == (0, 0)
