"""Client side of the benchmark (benchmarks/compare.py runs it, one measurement per call).

Every call is bounded in count and time and prints one JSON object. compare.py runs it
inside the bench host's network namespace, so every URL is on that host's loopback.

    load.py transfer-up   --tracking-uri URI --experiment NAME --file PATH
    load.py transfer-down --tracking-uri URI --run-id ID --artifact NAME
    load.py log-batch     --url URL --clients 8 --seconds 15 --metrics 50
    load.py registry-read --url URL --rps 50 --seconds 15 [--client raw|mlflow]

transfer-*: a stock MLflow client (mlflow.log_artifact / mlflow.artifacts.download_artifacts)
with only MLFLOW_TRACKING_URI set, or, for the course's direct-to-S3 peer, the course's
AWS_* and MLFLOW_S3_ENDPOINT_URL as well (its experiments live in s3://). log-batch and
registry-read speak raw HTTP (http.client, one keep-alive connection per client thread),
except registry-read --client mlflow (MlflowClient.get_registered_model).
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

MIB = 1024 * 1024
# What a request can fail with (requests' errors are OSErrors); anything else is a bug.
FAILURES = (OSError, RuntimeError, ValueError, http.client.HTTPException, MlflowException)


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(latencies):
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 2) if latencies else None,
    }


class Http:
    """One keep-alive connection to URL; JSON in and out; raises on a non-2xx answer."""

    def __init__(self, url, timeout=30):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None):
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: reconnect once, counted by the caller.
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            if not 200 <= response.status < 300:
                raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:200]!r}")
            return json.loads(data) if data else {}
        raise AssertionError("unreachable")


def wait_ready(url, seconds=300, streak=12):
    """Until the API answers `streak` times in a row, each on a new connection (every worker).

    /health alone is not enough: uvicorn's supervisor restarts workers that start too slowly
    on a loaded machine, and a restarting worker drops its connections.
    """
    deadline = time.monotonic() + seconds
    good = 0
    while good < streak:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer {streak} API requests in a row within {seconds} s")
        try:
            Http(url, timeout=10).request("GET", "/api/2.0/mlflow/experiments/search?max_results=1")
            good += 1
        except FAILURES:
            good = 0
            time.sleep(1)


def new_experiment(http, prefix):
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return http.request("POST", "/api/2.0/mlflow/experiments/create", {"name": name})["experiment_id"]


def cmd_transfer_up(args):
    wait_ready(args.tracking_uri)
    mlflow.set_tracking_uri(args.tracking_uri)
    experiment = mlflow.set_experiment(args.experiment)
    size = os.path.getsize(args.file)
    with mlflow.start_run(experiment_id=experiment.experiment_id) as run:
        start = time.perf_counter()
        mlflow.log_artifact(args.file)
        seconds = time.perf_counter() - start
    return {
        "run_id": run.info.run_id,
        "artifact_uri": run.info.artifact_uri,
        "artifact": os.path.basename(args.file),
        "bytes": size,
        "seconds": round(seconds, 3),
        "mib_s": round(size / MIB / seconds, 1),
    }


def cmd_transfer_down(args):
    mlflow.set_tracking_uri(args.tracking_uri)
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as destination:
        start = time.perf_counter()
        path = mlflow.artifacts.download_artifacts(run_id=args.run_id, artifact_path=args.artifact, dst_path=destination)
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    if args.delete:
        # Keeps the store from filling up over the rounds; not timed.
        artifact_uri = mlflow.get_run(args.run_id).info.artifact_uri
        get_artifact_repository(artifact_uri).delete_artifacts()
        mlflow.delete_run(args.run_id)
    return {"bytes": size, "seconds": round(seconds, 3), "mib_s": round(size / MIB / seconds, 1)}


def cmd_log_batch(args):
    wait_ready(args.url)
    setup = Http(args.url)
    experiment_id = new_experiment(setup, "bench-log-batch")
    run_ids = [
        setup.request("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": experiment_id, "start_time": int(time.time() * 1000)})["run"]["info"]["run_id"]
        for _client in range(args.clients)
    ]
    deadline = time.monotonic() + args.seconds
    results = [[] for _client in range(args.clients)]
    errors = [0] * args.clients

    def client(index):
        http = Http(args.url)
        step = 0
        while time.monotonic() < deadline:
            now = int(time.time() * 1000)
            body = {
                "run_id": run_ids[index],
                "metrics": [{"key": f"metric_{k}", "value": k * 0.5 + step, "timestamp": now, "step": step} for k in range(args.metrics)],
            }
            start = time.perf_counter()
            try:
                http.request("POST", "/api/2.0/mlflow/runs/log-batch", body)
            except FAILURES as error:  # counted, not fatal: the figure says how many failed
                errors[index] += 1
                if errors[index] == 1:
                    print(f"log-batch client {index}: {error}", file=sys.stderr)
                continue
            results[index].append(time.perf_counter() - start)
            step += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = [value for values in results for value in values]
    setup.request("POST", "/api/2.0/mlflow/experiments/delete", {"experiment_id": experiment_id})
    summary = latency_summary(latencies)
    summary.update({"errors": sum(errors), "seconds": round(elapsed, 2), "rps": round(len(latencies) / elapsed, 1)})
    return summary


def cmd_registry_read(args):
    wait_ready(args.url)
    setup = Http(args.url)
    name = f"bench-read-{uuid.uuid4().hex[:8]}"
    setup.request("POST", "/api/2.0/mlflow/registered-models/create", {"name": name, "description": "registry read benchmark"})
    experiment_id = new_experiment(setup, "bench-read")
    run_id = setup.request("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
    for version in range(3):
        setup.request(
            "POST",
            "/api/2.0/mlflow/model-versions/create",
            {"name": name, "source": f"runs:/{run_id}/model-{version}", "run_id": run_id, "description": f"version {version}"},
        )
    path = "/api/2.0/mlflow/registered-models/get?" + urllib.parse.urlencode({"name": name})
    local = threading.local()

    if args.client == "raw":

        def read():
            if not hasattr(local, "http"):
                local.http = Http(args.url)
            local.http.request("GET", path)

    else:
        client = mlflow.MlflowClient(tracking_uri=args.url)

        def read():
            client.get_registered_model(name)

    latencies, lateness, errors = [], [], [0]
    lock = threading.Lock()

    def one(scheduled):
        start = time.perf_counter()
        try:
            read()
        except FAILURES as error:
            with lock:
                errors[0] += 1
                if errors[0] == 1:
                    print(f"registry-read: {error}", file=sys.stderr)
            return
        end = time.perf_counter()
        with lock:
            latencies.append(end - start)
            lateness.append(start - scheduled)

    # Open loop: request i is due at t0 + i / rps, whatever the earlier ones took.
    total = int(args.rps * args.seconds)
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        read()  # connection and (mlflow client) imports warm, not counted
        t0 = time.perf_counter()
        for index in range(total):
            due = t0 + index / args.rps
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, due)
    elapsed = time.perf_counter() - t0
    setup.request("DELETE", "/api/2.0/mlflow/registered-models/delete", {"name": name})
    setup.request("POST", "/api/2.0/mlflow/experiments/delete", {"experiment_id": experiment_id})
    summary = latency_summary(latencies)
    summary.update(
        {
            "errors": errors[0],
            "client": args.client,
            "target_rps": args.rps,
            "rps": round(len(latencies) / elapsed, 1),
            "late_p99_ms": round(percentile(lateness, 0.99) * 1000, 2) if lateness else None,
        }
    )
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("transfer-up")
    up.add_argument("--tracking-uri", required=True)
    up.add_argument("--experiment", required=True)
    up.add_argument("--file", required=True)

    down = commands.add_parser("transfer-down")
    down.add_argument("--tracking-uri", required=True)
    down.add_argument("--run-id", required=True)
    down.add_argument("--artifact", required=True)
    down.add_argument("--delete", action="store_true", help="delete the artifact and the run afterwards")

    batch = commands.add_parser("log-batch")
    batch.add_argument("--url", required=True)
    batch.add_argument("--clients", type=int, default=8)
    batch.add_argument("--seconds", type=float, default=15)
    batch.add_argument("--metrics", type=int, default=50)

    read = commands.add_parser("registry-read")
    read.add_argument("--url", required=True)
    read.add_argument("--rps", type=float, default=50)
    read.add_argument("--seconds", type=float, default=15)
    read.add_argument("--threads", type=int, default=16)
    read.add_argument("--client", choices=("raw", "mlflow"), default="raw")

    args = parser.parse_args()
    for name in ("clients", "seconds", "metrics", "rps"):
        value = getattr(args, name, None)
        if value is not None and not 0 < value <= 120:
            parser.error(f"--{name} must be above 0 and at most 120")
    handler = {
        "transfer-up": cmd_transfer_up,
        "transfer-down": cmd_transfer_down,
        "log-batch": cmd_log_batch,
        "registry-read": cmd_registry_read,
    }[args.command]
    print(json.dumps(handler(args)))


if __name__ == "__main__":
    main()
