"""AWS's timestamps parsed by the standard library give what botocore's own parser gives."""

import datetime

import pytest
from botocore.utils import parse_timestamp as botocore_parse

from elasticache_operator.aws.session import new_session, parse_timestamp


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-07T18:56:46.755Z",  # as ElastiCache writes them
        "2026-12-07T18:56:46Z",
        "2026-12-07T18:56:46.123456+00:00",
        "2026-12-07T20:56:46+02:00",
        "Mon, 07 Dec 2026 18:56:46 GMT",  # RFC 822: botocore's parser
        1796670000,  # epoch seconds: botocore's parser
    ],
)
def test_the_same_moment_as_botocores_parser(value):
    ours, theirs = parse_timestamp(value), botocore_parse(value)
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset()
    assert str(ours.astimezone(datetime.UTC)) == str(theirs.astimezone(datetime.UTC))


def test_a_timestamp_without_a_zone_is_utc():
    assert parse_timestamp("2026-12-07T18:56:46").tzinfo == datetime.UTC


EVENTS = b"""<DescribeEventsResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">
<DescribeEventsResult><Events><Event><SourceIdentifier>g</SourceIdentifier><SourceType>replication-group</SourceType>
<Message>Replication group g created</Message><Date>2026-12-07T18:56:46.755Z</Date></Event></Events>
</DescribeEventsResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeEventsResponse>"""


def test_the_sessions_clients_parse_answers_with_it():
    session = new_session("us-east-1")
    client = session.client("elasticache", aws_access_key_id="k", aws_secret_access_key="s")
    shape = client.meta.service_model.operation_model("DescribeEvents").output_shape
    parser = session._session.get_component("response_parser_factory").create_parser("query")
    [event] = parser.parse({"body": EVENTS, "headers": {}, "status_code": 200}, shape)["Events"]
    assert event["Date"] == datetime.datetime(2026, 12, 7, 18, 56, 46, 755000, tzinfo=datetime.UTC)
    assert event["Date"].tzinfo is datetime.UTC  # the standard library's, not dateutil's
