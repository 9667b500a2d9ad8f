"""Latency of the tutorial workflow against a deployed registry.

Logs a small scikit-learn model, registers it and loads it back by ``models:/`` and
``runs:/`` URI, ``--iterations`` times, then prints the median and the 95th percentile of
each step. Bounded in count and time; point it only at a server of your own on this
machine (loopback or the project's test hosts).

    .venv-client/bin/python benchmarks/registry_roundtrip.py --tracking-uri http://127.0.0.1:5000
"""

import argparse
import statistics
import time
import uuid

import mlflow
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

STEPS = ("log_model", "register", "load_models_uri", "load_runs_uri")


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop early after this long")
    args = parser.parse_args()
    if not 1 <= args.iterations <= 200:
        parser.error("--iterations must be between 1 and 200")

    mlflow.set_tracking_uri(args.tracking_uri)
    data = load_iris(as_frame=True)
    features, target = data.data, data.target
    model = Pipeline([("scaler", StandardScaler()), ("svc", SVC())]).fit(features, target)
    signature = infer_signature(features, model.predict(features))
    name = f"benchmark-{uuid.uuid4().hex[:8]}"
    mlflow.set_experiment(name)

    timings = {step: [] for step in STEPS}
    deadline = time.monotonic() + args.max_seconds
    for _iteration in range(args.iterations):
        if time.monotonic() > deadline:
            break
        with mlflow.start_run() as run:
            start = time.perf_counter()
            mlflow.sklearn.log_model(model, name="model", signature=signature, input_example=features.head(3))
            timings["log_model"].append(time.perf_counter() - start)
        start = time.perf_counter()
        version = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
        timings["register"].append(time.perf_counter() - start)
        start = time.perf_counter()
        mlflow.pyfunc.load_model(f"models:/{name}/{version.version}")
        timings["load_models_uri"].append(time.perf_counter() - start)
        start = time.perf_counter()
        mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
        timings["load_runs_uri"].append(time.perf_counter() - start)

    client = mlflow.MlflowClient()
    client.delete_registered_model(name)
    client.delete_experiment(mlflow.get_experiment_by_name(name).experiment_id)

    print(f"{'step':<16} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}")
    for step in STEPS:
        values = timings[step]
        print(f"{step:<16} {len(values):>4} {statistics.median(values) * 1000:>9.1f} {percentile(values, 0.95) * 1000:>9.1f}")


if __name__ == "__main__":
    main()
