"""Read and seed MinIO behind the module's back, so the tests do not trust the module
to report its own work.  Connection from AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY / AWS_REGION.

  s3_probe.py state BUCKET      -> JSON: exists, versioning, policy, object versions, delete markers
  s3_probe.py fill BUCKET       -> versioned objects and delete markers; JSON: what was made
  s3_probe.py put BUCKET KEY    -> one object
  s3_probe.py create BUCKET     -> a bare bucket
"""

import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}),
    )


def state(s3, bucket):
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return {"exists": False, "versioning": None, "policy": None, "versions": 0, "delete_markers": 0}
        raise
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "disabled").lower()
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise
        policy = None
    versions = markers = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions += len(page.get("Versions", []))
        markers += len(page.get("DeleteMarkers", []))
    return {"exists": True, "versioning": versioning, "policy": policy, "versions": versions, "delete_markers": markers}


def fill(s3, bucket):
    # Three keys, three versions each, then a delete marker on top of two of them; plus
    # more versions of a fourth key than one listing page holds (1000), so that emptying
    # the bucket has to follow the pagination.
    for key in ("a.txt", "dir/b.txt", "dir/c.txt"):
        for n in range(3):
            s3.put_object(Bucket=bucket, Key=key, Body=("%s v%d" % (key, n)).encode())
    s3.delete_object(Bucket=bucket, Key="a.txt")
    s3.delete_object(Bucket=bucket, Key="dir/b.txt")
    for n in range(1005):
        s3.put_object(Bucket=bucket, Key="many", Body=b"%d" % n)
    return state(s3, bucket)


def main():
    s3 = client()
    command, bucket = sys.argv[1], sys.argv[2]
    if command == "state":
        result = state(s3, bucket)
    elif command == "fill":
        result = fill(s3, bucket)
    elif command == "put":
        s3.put_object(Bucket=bucket, Key=sys.argv[3], Body=b"payload")
        result = state(s3, bucket)
    elif command == "create":
        s3.create_bucket(Bucket=bucket)
        result = state(s3, bucket)
    else:
        sys.exit("unknown command %s" % command)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
