import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from elasticache_operator.aws.errors import Kind, classify, from_boto


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("Throttling", 400, Kind.TRANSIENT),
        ("InvalidReplicationGroupState", 400, Kind.TRANSIENT),
        ("InternalFailure", 500, Kind.TRANSIENT),
        ("SomethingNew", 503, Kind.TRANSIENT),
        ("InvalidParameterValue", 400, Kind.TERMINAL),
        ("InvalidParameterCombination", 400, Kind.TERMINAL),
        ("NodeQuotaForCustomerExceeded", 400, Kind.TERMINAL),
        ("ClusterQuotaForCustomerExceeded", 400, Kind.TERMINAL),
        ("CacheSubnetGroupNotFoundFault", 400, Kind.WAITING),  # may appear later: never give up (ACK #1228)
        ("AccessDenied", 403, Kind.WAITING),
        ("SomethingNew", 400, Kind.WAITING),  # unknown: neither hammer nor give up
    ],
)
def test_classification(code, status, kind):
    assert classify(code, status) is kind


def error(code, status, message="m"):
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


def test_client_errors_keep_code_and_message():
    failure = from_boto("CreateReplicationGroup", error("Throttling", 400, "Rate exceeded"))
    assert (failure.operation, failure.code, failure.message, failure.kind) == (
        "CreateReplicationGroup",
        "Throttling",
        "Rate exceeded",
        Kind.TRANSIENT,
    )


def test_missing_credentials_wait_for_someone_to_fix_iam():
    failure = from_boto("DescribeReplicationGroups", NoCredentialsError())
    assert failure.code == "NoCredentialsError" and failure.kind is Kind.WAITING


def test_connection_failures_are_transient():
    failure = from_boto("DescribeReplicationGroups", EndpointConnectionError(endpoint_url="https://x"))
    assert failure.kind is Kind.TRANSIENT


def test_other_exceptions_are_not_swallowed():
    with pytest.raises(KeyError):
        from_boto("DescribeReplicationGroups", KeyError("bug"))
