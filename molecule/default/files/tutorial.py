"""The MLflow tutorial's workflow against the deployed stack, from outside the host.

    python tutorial.py train CONFIG STATE       log, register, load back, compare; read the stores
    python tutorial.py after-restart CONFIG STATE   the registered model survived a restart

CONFIG is a JSON file (0600) with tracking_uri, s3_endpoint_url, s3_access_key, s3_secret_key,
bucket and pg_dsn; STATE is where `train` records what `after-restart` checks. Every check is
an assertion: the script exits non-zero on the first one that fails.
"""

import json
import os
import sys
import time
from pathlib import Path

import boto3
import mlflow
import numpy as np
import psycopg2
import requests
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

MODEL_NAME = "iris-svc"
EXPERIMENT = "molecule-tutorial"


def wait_for_server(uri, timeout=300):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(f"{uri}/health", timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as error:
            last = error
        time.sleep(3)
    raise AssertionError(f"{uri}/health did not answer 200 within {timeout} s: {last}")


def iris_split():
    x, y = load_iris(return_X_y=True, as_frame=True)
    return train_test_split(x, y, test_size=0.25, random_state=42, stratify=y)


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
    with psycopg2.connect(config["pg_dsn"], connect_timeout=10) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def check_stores(config, state):
    """The run and the model as the stores keep them, read without MLflow."""
    keys = bucket_keys(config)
    model_keys = [key for key in keys if state["model_id"] in key]
    assert any(key.endswith("/MLmodel") for key in model_keys), (
        f"no MLmodel of model {state['model_id']} in bucket {config['bucket']}: {keys[:20]}"
    )
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
    print(f"stores: {len(model_keys)} objects of the model in the bucket, run and version rows in PostgreSQL")


def load_and_compare(state, x_test):
    expected = np.array(state["predictions"])
    for uri in (f"models:/{MODEL_NAME}/{state['version']}", f"runs:/{state['run_id']}/model"):
        model = mlflow.pyfunc.load_model(uri)
        predictions = np.asarray(model.predict(x_test))
        assert np.array_equal(predictions, expected), f"{uri} predicts {predictions[:10]}, expected {expected[:10]}"
        print(f"{uri}: {len(predictions)} predictions equal the trained pipeline's")


def train(config, state_path):
    x_train, x_test, y_train, y_test = iris_split()
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run() as run:
        params = {"C": 1.0, "kernel": "rbf", "gamma": "scale"}
        pipeline = Pipeline([("scaler", StandardScaler()), ("svc", SVC(**params))])
        pipeline.fit(x_train, y_train)
        predictions = pipeline.predict(x_test)
        accuracy = accuracy_score(y_test, predictions)
        mlflow.log_params(params)
        mlflow.log_metrics({"accuracy": accuracy, "f1_macro": f1_score(y_test, predictions, average="macro")})
        mlflow.log_dict({"labels": sorted(set(y_test.tolist()))}, "confusion.json")
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=infer_signature(x_train, pipeline.predict(x_train)),
            input_example=x_train.head(5),
            registered_model_name=MODEL_NAME,
        )
    assert accuracy > 0.9, f"accuracy {accuracy} of the iris SVC is implausibly low"
    assert info.signature is not None and info.signature.inputs.input_names() == list(x_train.columns)
    version = str(info.registered_model_version)
    client = MlflowClient()
    registered = client.get_model_version(MODEL_NAME, version)
    assert registered.run_id == run.info.run_id, f"version {version} belongs to run {registered.run_id}"
    assert registered.status == "READY", f"version {version} is {registered.status}"

    state = {
        "run_id": run.info.run_id,
        "model_id": info.model_id,
        "version": version,
        "accuracy": accuracy,
        "predictions": predictions.tolist(),
    }
    print(f"run {state['run_id']}, model {state['model_id']}, registered {MODEL_NAME} version {version}, accuracy {accuracy:.3f}")
    load_and_compare(state, x_test)
    check_stores(config, state)
    Path(state_path).write_text(json.dumps(state))


def after_restart(config, state_path):
    state = json.loads(Path(state_path).read_text())
    client = MlflowClient()
    names = [model.name for model in client.search_registered_models()]
    assert MODEL_NAME in names, f"registered models after the restart: {names}"
    versions = [v.version for v in client.search_model_versions(f"name = '{MODEL_NAME}'")]
    assert state["version"] in versions, f"versions of {MODEL_NAME} after the restart: {versions}"
    run = client.get_run(state["run_id"])
    assert run.data.metrics["accuracy"] == state["accuracy"], f"metrics after the restart: {run.data.metrics}"
    x_test = iris_split()[1]
    load_and_compare(state, x_test)
    check_stores(config, state)


def main(argv):
    phase, config_path, state_path = argv
    # MLflow 3.17 servers with proxied S3 artifacts advertise presigned multipart downloads, and
    # clients then fetch from the S3 endpoint the server uses (a name only the stack's Docker
    # network resolves). Users who reach only the server set this, as the README says.
    os.environ["MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD"] = "false"
    # Loading runs:/RUN_ID/model first asks for the run artifact "model", which a logged model
    # of MLflow 3 is not: the proxy answers 500 for the missing S3 key and the client retries
    # with backoff (about 4 minutes by default) before it resolves the logged model.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    config = json.loads(Path(config_path).read_text())
    mlflow.set_tracking_uri(config["tracking_uri"])
    wait_for_server(config["tracking_uri"])
    {"train": train, "after-restart": after_restart}[phase](config, state_path)
    print(f"{phase}: ok")


if __name__ == "__main__":
    main(sys.argv[1:])
