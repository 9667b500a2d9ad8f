"""The MLflow tutorial's workflow, run as a user runs it against a deployed registry.

    python tutorial.py train STATE     train, log, register, load back by models:/ and runs:/
    python tutorial.py load STATE      the model registered by `train` is still there and loads

A stock client: it runs in an environment with mlflow and scikit-learn only
(requirements/client.txt) and is configured only as the README tells users, through
MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_USERNAME / _PASSWORD or a CA where the registry asks
for them). It sets nothing else: no retry, timeout or transfer switch of the client.

It watches what a user would only notice as waiting: every retry the HTTP layer makes (urllib3
logs each one) is recorded, and any retry fails the run. It prints each step's wall time and
ends with one JSON line (`result: {...}`); STATE records what `load` checks and what the
callers read from the stores. The time figures are for the record; benchmarks/ measures speed.
"""

import json
import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import mlflow
import numpy as np
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
# urllib3 logs each retry it makes: "Retry: URL" for a retried status, "Retrying (...) after
# connection broken ..." for a broken connection, "Incremented Retry for ..." for both.
RETRY_MESSAGE = re.compile(r"^(Retry: |Retrying \(|Incremented Retry )")


class RetryRecorder(logging.Handler):
    """Collects urllib3's retry messages; changes nothing in how the client behaves."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.retries = []

    def emit(self, record):
        message = record.getMessage()
        if RETRY_MESSAGE.match(message):
            self.retries.append(message)


RECORDER = RetryRecorder()
TIMINGS = {}


def watch_retries():
    # Only this handler sees urllib3's debug records; nothing is printed or propagated.
    logger = logging.getLogger("urllib3")
    logger.addHandler(RECORDER)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


@contextmanager
def step(name):
    started = time.monotonic()
    retries_before = len(RECORDER.retries)
    yield
    TIMINGS[name] = round(time.monotonic() - started, 2)
    retried = len(RECORDER.retries) - retries_before
    print(f"step {name}: {TIMINGS[name]} s{f', {retried} retries' if retried else ''}")


def iris_split():
    x, y = load_iris(return_X_y=True, as_frame=True)
    return train_test_split(x, y, test_size=0.25, random_state=42, stratify=y)


def load_and_compare(state, x_test, phase):
    expected = np.array(state["predictions"])
    for kind, uri in (("models", f"models:/{MODEL_NAME}/{state['version']}"), ("runs", f"runs:/{state['run_id']}/model")):
        with step(f"{phase}_{kind}_uri"):
            model = mlflow.pyfunc.load_model(uri)
            predictions = np.asarray(model.predict(x_test))
        assert np.array_equal(predictions, expected), f"{uri} predicts {predictions[:10]}, expected {expected[:10]}"
        print(f"{uri}: {len(predictions)} predictions equal the trained pipeline's")


def train(state_path):
    x_train, x_test, y_train, y_test = iris_split()
    with step("set_experiment"):
        mlflow.set_experiment(EXPERIMENT)
    params = {"C": 1.0, "kernel": "rbf", "gamma": "scale"}
    pipeline = Pipeline([("scaler", StandardScaler()), ("svc", SVC(**params))])
    pipeline.fit(x_train, y_train)
    predictions = pipeline.predict(x_test)
    accuracy = accuracy_score(y_test, predictions)
    with step("log_and_register"), mlflow.start_run() as run:
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
    registered = MlflowClient().get_model_version(MODEL_NAME, version)
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
    load_and_compare(state, x_test, "train")
    Path(state_path).write_text(json.dumps(state))


def load(state_path):
    state = json.loads(Path(state_path).read_text())
    client = MlflowClient()
    with step("search"):
        names = [model.name for model in client.search_registered_models()]
        versions = [v.version for v in client.search_model_versions(f"name = '{MODEL_NAME}'")]
        run = client.get_run(state["run_id"])
    assert MODEL_NAME in names, f"registered models: {names}"
    assert state["version"] in versions, f"versions of {MODEL_NAME}: {versions}"
    assert run.data.metrics["accuracy"] == state["accuracy"], f"metrics of run {state['run_id']}: {run.data.metrics}"
    load_and_compare(state, iris_split()[1], "load")


def main(argv):
    phase, state_path = argv
    assert os.environ.get("MLFLOW_TRACKING_URI"), "set MLFLOW_TRACKING_URI, as the README tells users"
    watch_retries()
    failure = None
    try:
        {"train": train, "load": load}[phase](state_path)
    except Exception as error:  # noqa: BLE001 - reported in the result line, then re-raised
        failure = f"{type(error).__name__}: {error}"
        raise
    finally:
        result = {"phase": phase, "seconds": TIMINGS, "retries": len(RECORDER.retries), "retry_messages": RECORDER.retries[:5], "failure": failure}
        print("result: " + json.dumps(result))
    assert not RECORDER.retries, f"the client retried {len(RECORDER.retries)} requests, first: {RECORDER.retries[:3]}"
    print(f"{phase}: ok, no request retried")


if __name__ == "__main__":
    main(sys.argv[1:])
