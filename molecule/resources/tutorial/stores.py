"""What the tutorial left in the stores, read without MLflow (a verify step, not a user's).

    python stores.py CONFIG STATE

CONFIG is a JSON file (0600) with s3_endpoint_url, s3_access_key, s3_secret_key, bucket and
pg_dsn; STATE is the file `tutorial.py train` wrote. Every check is an assertion.
"""

import json
import sys
from pathlib import Path

import boto3
import psycopg2

MODEL_NAME = "iris-svc"


def bucket_keys(config):
    s3 = boto3.client(
        "s3",
        endpoint_url=config["s3_endpoint_url"],
        aws_access_key_id=config["s3_access_key"],
        aws_secret_access_key=config["s3_secret_key"],
        region_name="us-east-1",
    )
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=config["bucket"]):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def query(config, sql, params):
    with psycopg2.connect(config["pg_dsn"], connect_timeout=10) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def main(argv):
    config = json.loads(Path(argv[0]).read_text())
    state = json.loads(Path(argv[1]).read_text())
    keys = bucket_keys(config)
    model_keys = [key for key in keys if state["model_id"] in key]
    assert any(key.endswith("/MLmodel") for key in model_keys), f"no MLmodel of model {state['model_id']} in bucket {config['bucket']}: {keys[:20]}"
    assert any(key.endswith("/input_example.json") for key in model_keys), f"no input example among {model_keys}"
    assert any(key.endswith("confusion.json") and state["run_id"] in key for key in keys), (
        f"the run artifact confusion.json of run {state['run_id']} is not in the bucket"
    )

    runs = query(config, "SELECT status, lifecycle_stage FROM runs WHERE run_uuid = %s", (state["run_id"],))
    assert runs == [("FINISHED", "active")], f"run row in PostgreSQL: {runs}"
    metrics = dict(query(config, "SELECT key, value FROM latest_metrics WHERE run_uuid = %s", (state["run_id"],)))
    assert abs(metrics.get("accuracy", -1) - state["accuracy"]) < 1e-9, f"metrics in PostgreSQL: {metrics}"
    versions = query(
        config,
        "SELECT version, run_id FROM model_versions WHERE name = %s AND version = %s",
        (MODEL_NAME, int(state["version"])),
    )
    assert versions == [(int(state["version"]), state["run_id"])], f"model_versions row: {versions}"
    print(f"stores: {len(model_keys)} objects of model {state['model_id']} in the bucket, run and version rows in PostgreSQL")


if __name__ == "__main__":
    main(sys.argv[1:])
