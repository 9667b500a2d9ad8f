"""Read MinIO behind the minio_user module's back, and try what a user may and may not do,
so the tests do not trust the module to report its own work.

Root connection from MINIO_PROBE_ENDPOINT / MINIO_PROBE_ROOT_ACCESS_KEY /
MINIO_PROBE_ROOT_SECRET_KEY; a user's secret key from MINIO_PROBE_USER_SECRET_KEY (never on
the command line).

  minio_probe.py state USER [POLICY]            -> JSON: user (exists, enabled, policies), policy (exists, document)
  minio_probe.py login USER                     -> JSON: works, code (boto3 ListBuckets signed as the user)
  minio_probe.py attach USER POLICY             -> attach a policy as root, behind the module's back; JSON: state
  minio_probe.py seed USER BUCKET KEY           -> put an object as root (USER is ignored); JSON: {}
  minio_probe.py rights USER BUCKET OTHER [PREFIX]
      -> JSON: allowed (what an artifact store client does, each "ok" or the error code) and
         refused (what it must not do, each the error code, or "ok" if MinIO allowed it)
"""

import json
import os
import sys
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from minio import MinioAdmin
from minio.credentials import StaticProvider
from minio.error import MinioAdminException

ENDPOINT = os.environ["MINIO_PROBE_ENDPOINT"]
PART = 5 * 1024 * 1024  # S3's smallest part but the last


def admin(access_key, secret_key):
    url = urlsplit(ENDPOINT)
    return MinioAdmin(endpoint=url.netloc, credentials=StaticProvider(access_key, secret_key), secure=url.scheme == "https")


def root():
    return admin(os.environ["MINIO_PROBE_ROOT_ACCESS_KEY"], os.environ["MINIO_PROBE_ROOT_SECRET_KEY"])


def s3_as(user):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=user,
        aws_secret_access_key=os.environ["MINIO_PROBE_USER_SECRET_KEY"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def admin_code(exc):
    try:
        return json.loads(exc._body)["Code"]
    except (ValueError, KeyError):
        return "HTTP %s" % exc._code


def state(user, policy=None):
    client = root()
    try:
        info = json.loads(client.user_info(user))
        result = {"user": {"exists": True, "enabled": info["status"] == "enabled", "policies": sorted(filter(None, info.get("policyName", "").split(",")))}}
    except MinioAdminException as exc:
        if admin_code(exc) != "XMinioAdminNoSuchUser":
            raise
        result = {"user": {"exists": False, "enabled": None, "policies": []}}
    if policy:
        try:
            result["policy"] = {"exists": True, "document": json.loads(client.policy_info(policy))}
        except MinioAdminException as exc:
            if admin_code(exc) != "XMinioAdminNoSuchPolicy":
                raise
            result["policy"] = {"exists": False, "document": None}
    return result


def login(user):
    try:
        s3_as(user).list_buckets()
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        # AccessDenied: the signature was good, the user may just not list buckets.
        return {"works": code == "AccessDenied", "code": code}
    return {"works": True, "code": None}


def attempt(results, name, call):
    try:
        value = call()
    except ClientError as exc:
        results[name] = exc.response["Error"]["Code"]
    except MinioAdminException as exc:
        results[name] = admin_code(exc)
    except HTTPError as exc:
        results[name] = "HTTP %s" % exc.code
    else:
        results[name] = "ok" if value is None or value is True else value


def rights(user, bucket, other, prefix=""):
    s3 = s3_as(user)
    base = prefix.strip("/") + "/" if prefix else ""
    key = base + "probe/model.pkl"
    allowed, refused = {}, {}

    attempt(allowed, "put_object", lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"weights") and None)
    attempt(allowed, "head_object", lambda: s3.head_object(Bucket=bucket, Key=key) and None)
    attempt(allowed, "get_object", lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"weights")
    attempt(allowed, "list_objects_v2", lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=base + "probe/").get("Contents", [])] == [key])
    attempt(allowed, "get_bucket_location", lambda: s3.get_bucket_location(Bucket=bucket) and None)
    presigned = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
    attempt(allowed, "presigned_get", lambda: urllib.request.urlopen(presigned, timeout=10).read() == b"weights")  # noqa: S310  the test endpoint

    big = base + "probe/big.bin"

    def multipart():
        upload = s3.create_multipart_upload(Bucket=bucket, Key=big)["UploadId"]
        parts = []
        for number, body in ((1, b"a" * PART), (2, b"b" * 10)):
            etag = s3.upload_part(Bucket=bucket, Key=big, UploadId=upload, PartNumber=number, Body=body)["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        listed = [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=big, UploadId=upload)["Parts"]]
        uploads = [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket, Prefix=big).get("Uploads", [])]
        s3.complete_multipart_upload(Bucket=bucket, Key=big, UploadId=upload, MultipartUpload={"Parts": parts})
        size = s3.head_object(Bucket=bucket, Key=big)["ContentLength"]
        return listed == [1, 2] and upload in uploads and size == PART + 10

    def aborted_multipart():
        upload = s3.create_multipart_upload(Bucket=bucket, Key=big + ".aborted")["UploadId"]
        s3.upload_part(Bucket=bucket, Key=big + ".aborted", UploadId=upload, PartNumber=1, Body=b"c" * 10)
        s3.abort_multipart_upload(Bucket=bucket, Key=big + ".aborted", UploadId=upload)
        return True

    attempt(allowed, "multipart_upload", multipart)
    attempt(allowed, "abort_multipart_upload", aborted_multipart)
    attempt(allowed, "delete_objects", lambda: not s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key}, {"Key": big}]}).get("Errors"))
    attempt(allowed, "deleted", lambda: "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=base + "probe/"))

    # ListBuckets answers with the buckets the user may list: at most its own.
    def list_other_buckets():
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        others = [n for n in names if n != bucket]
        return "ok: " + ",".join(others) if others else "none listed"

    attempt(refused, "create_bucket", lambda: s3.create_bucket(Bucket=bucket + "-new") and None)
    attempt(refused, "list_other_buckets", list_other_buckets)
    attempt(refused, "list_other_bucket", lambda: s3.list_objects_v2(Bucket=other) and None)
    attempt(refused, "get_other_object", lambda: s3.get_object(Bucket=other, Key="secret.txt") and None)
    attempt(refused, "put_other_object", lambda: s3.put_object(Bucket=other, Key="planted.txt", Body=b"x") and None)
    attempt(refused, "delete_bucket", lambda: s3.delete_bucket(Bucket=bucket) and None)
    attempt(refused, "put_bucket_policy", lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": []})) and None)
    attempt(refused, "put_bucket_versioning", lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}) and None)
    if prefix:
        attempt(refused, "put_outside_prefix", lambda: s3.put_object(Bucket=bucket, Key="outside.txt", Body=b"x") and None)
        attempt(refused, "list_outside_prefix", lambda: s3.list_objects_v2(Bucket=bucket, Prefix="") and None)
    as_user = admin(user, os.environ["MINIO_PROBE_USER_SECRET_KEY"])
    attempt(refused, "admin_user_list", lambda: as_user.user_list() and None)
    attempt(refused, "admin_user_add", lambda: as_user.user_add("probe-intruder", "intruder-secret") and None)
    attempt(refused, "admin_policy_list", lambda: as_user.policy_list() and None)
    attempt(refused, "admin_policy_attach", lambda: as_user.policy_set("consoleAdmin", user=user) and None)
    attempt(refused, "admin_server_info", lambda: as_user.info() and None)
    return {"allowed": allowed, "refused": refused}


def main():
    command, user = sys.argv[1], sys.argv[2]
    if command == "state":
        result = state(user, sys.argv[3] if len(sys.argv) > 3 else None)
    elif command == "login":
        result = login(user)
    elif command == "attach":
        root().attach_policy([sys.argv[3]], user=user)
        result = state(user)
    elif command == "seed":
        s3 = boto3.client(
            "s3",
            endpoint_url=ENDPOINT,
            aws_access_key_id=os.environ["MINIO_PROBE_ROOT_ACCESS_KEY"],
            aws_secret_access_key=os.environ["MINIO_PROBE_ROOT_SECRET_KEY"],
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )
        s3.put_object(Bucket=sys.argv[3], Key=sys.argv[4], Body=b"not for the user")
        result = {}
    elif command == "rights":
        result = rights(user, *sys.argv[3:])
    else:
        sys.exit("unknown command %s" % command)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
