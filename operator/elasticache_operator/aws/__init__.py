"""The edges to AWS: one module per service, each taking its boto3 client as an argument."""
