# Print, as JSON, the keys in bucket argv[1] under prefix argv[2] on the S3 endpoint of the
# environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION):
# the target's independent look at the artifact store.
import json
import sys

import boto3

bucket, prefix = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3")
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    keys.extend(item["Key"] for item in page.get("Contents", []))
print(json.dumps(keys))
