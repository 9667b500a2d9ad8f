"""A client that keeps using the registry through the load balancer during a rolling change.

    python rollout_probe.py URL MODEL STOP_FILE RESULT_FILE [MAX_SECONDS]

Until STOP_FILE exists (or MAX_SECONDS pass), every INTERVAL it reads /health, reads the
registered model MODEL and logs one metric step to a run it created at the start: reads and
writes, the way users and training jobs use the registry while a deploy runs. At the end it
reads the metric history back, so a write that was answered but lost counts as a failure,
and writes RESULT_FILE (JSON): requests, failures (with the first ones), the steps logged and
the steps stored, and the time it ran. The verdict is the caller's: this script only measures.
"""

import json
import sys
import time
from pathlib import Path

import requests

INTERVAL = 0.25
TIMEOUT = 10


def call(url, method="GET", body=None):
    """One request; returns the decoded JSON answer or raises with what went wrong."""
    response = requests.request(method, url, json=body, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json() if response.text.strip().startswith("{") else {}


def main(argv):
    base, model, stop_file, result_file = argv[1:5]
    max_seconds = float(argv[5]) if len(argv) > 5 else 1800.0
    api = f"{base}/api/2.0/mlflow"
    result = {"requests": 0, "failures": 0, "first_failures": [], "steps_logged": 0}

    def attempt(what, url, method="GET", body=None):
        result["requests"] += 1
        try:
            return call(url, method, body)
        except (requests.RequestException, ValueError) as error:
            result["failures"] += 1
            if len(result["first_failures"]) < 20:
                result["first_failures"].append(f"{time.strftime('%H:%M:%S')} {what}: {error}")
            return None

    started = time.monotonic()
    run = attempt(
        "create run",
        f"{api}/runs/create",
        "POST",
        {"experiment_id": "0", "run_name": "rollout-probe", "start_time": int(time.time() * 1000)},
    )
    run_id = run["run"]["info"]["run_id"] if run else None
    step = 0
    while not Path(stop_file).exists() and time.monotonic() - started < max_seconds:
        attempt("health", f"{base}/health")
        attempt("get model", f"{api}/registered-models/get?name={model}")
        if run_id:
            body = {
                "run_id": run_id,
                "key": "probe",
                "value": float(step),
                "timestamp": int(time.time() * 1000),
                "step": step,
            }
            if attempt("log metric", f"{api}/runs/log-metric", "POST", body) is not None:
                result["steps_logged"] += 1
            step += 1
        time.sleep(INTERVAL)

    result["seconds"] = round(time.monotonic() - started, 1)
    result["run_id"] = run_id
    history = attempt("metric history", f"{api}/metrics/get-history?run_id={run_id}&metric_key=probe&max_results=100000") if run_id else None
    result["steps_stored"] = len(history.get("metrics", [])) if history else 0
    Path(result_file).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
