#!/usr/bin/python
# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: registry_check
short_description: Verify an MLflow tracking server and model registry end to end
version_added: 0.1.0
description:
  - Checks an MLflow tracking server the way its clients use it, in this order, timing each step
    V(health) (C(/health), waiting for a server that is still starting, see O(retries)),
    V(version) (C(/version), compared with O(expected_version)),
    V(host) (the server accepts the C(Host) header derived from O(url)),
    V(tracking) (experiments search, counting the active experiments),
    V(registry) (registered models search, counting the registered models) and
    V(server_info) (whether C(/api/3.0/mlflow/server-info) advertises presigned (multipart) downloads
    and uploads to clients; an older server without it advertises nothing).
  - With O(roundtrip=true) it also proves the artifact path end to end, the way a stock MLflow client
    takes it (proxied artifacts, C(--serve-artifacts)); it creates a probe experiment and run, uploads a
    small random artifact, registers a model version from it, downloads it again and compares the
    bytes (SHA-256), asks for an artifact that does not exist, then deletes everything it made.
  - When the server advertises presigned downloads, the round trip downloads as MLflow's client then
    does, from the presigned URL the server hands out, from the host that runs the module; a URL
    signed for an S3 endpoint only the server's network reaches fails the check, naming the endpoint
    and what to set. A missing artifact must answer 404; a 500 (upstream mlflow#24535), which clients
    retry for minutes, fails the check.
  - On failure the message names the step, the request, the answer and the likely cause, such as
    the host header rejected by C(--allowed-hosts), the artifact store refusing the server's
    credentials, the artifact bucket missing, the database down, the server unreachable, presigned
    downloads that clients cannot reach, or a missing artifact answered with 500.
  - Nothing else verifies an MLflow registry. C(/health) alone answers V(OK) while the database
    is down, the host header is refused or the artifact store rejects every upload; this module
    catches each of those and says what to fix.
  - Talks to the server only through Ansible's own URL utilities; the MLflow client library is
    not needed.
extends_documentation_fragment:
  - mlops.mlflow.attributes
  - mlops.mlflow.mlflow
attributes:
  check_mode:
    support: full
    description:
      - Can run in check_mode and return changed status prediction without modifying target.
      - The read-only checks run as usual; the round trip, which writes (and removes) a probe, is
        skipped and reported as V(skipped) in RV(checks).
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  expected_version:
    description:
      - Fail unless the server reports this MLflow version on C(/version), for example right after
        an upgrade.
      - Release numbers are compared; a shorter version matches as a prefix (V(3.17) matches
        V(3.17.2)), a pre-release suffix must match exactly.
    type: str
  roundtrip:
    description:
      - Also create a probe experiment, run, artifact and model version through the server,
        download the artifact again and compare it, ask for an artifact that does not exist, then
        delete what was made. Proves that the server can write to and read from its artifact store
        and register models, and that clients can download artifacts the way the server tells them to.
      - The download follows RV(server_info) as MLflow's client does. With presigned downloads
        advertised, it asks the server for a presigned URL (C(/api/2.0/mlflow-artifacts/presigned/...))
        and fetches it from the host that runs the module, without the server's credentials, with
        O(validate_certs) and O(ca_path), waiting at most 10 seconds (MLflow's own limit for a chunk);
        otherwise it downloads through the server. RV(roundtrip.download_path) says which.
      - The probe artifact is small, so it is uploaded through the server, as MLflow's client uploads
        anything below its multipart threshold (C(MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE), 500 MB)
        even when presigned uploads are advertised.
      - The artifact C(model) under the probe run, which is never written, must answer 404 through the
        server, and also as a presigned download when those are advertised; loading C(runs:/RUN_ID/model)
        asks for it first. It is asked once, an error answer is not repeated.
      - Needs a server that proxies artifacts (C(mlflow server --serve-artifacts), artifact root
        V(mlflow-artifacts:/)); with a store that clients write to directly the check fails and
        says so.
      - Names are C(mlops-registry-check-<random>); the registered model, its version and the
        artifact are removed. MLflow's REST API can only soft-delete experiments and runs, so the
        probe experiment and run stay in the V(deleted) lifecycle stage until C(mlflow gc)
        removes them.
      - Skipped in check mode.
    type: bool
    default: false
  retries:
    description:
      - How many times to try C(/health) before giving up, to wait for a server that is still
        starting. Refused connections, timeouts and HTTP 502, 503 and 504 (a proxy in front of a
        server not yet up) are retried; any other answer is final.
    type: int
    default: 1
  delay:
    description:
      - Seconds to wait between two tries of C(/health).
    type: float
    default: 2
  count_limit:
    description:
      - Stop counting experiments and registered models at this many, so a very large registry does
        not make the check slow; the counts are read in pages of up to 1000.
      - RV(counts_complete) tells whether the counts were capped. V(0) reads only one item of each,
        which still checks both APIs, and returns no counts.
    type: int
    default: 10000
notes:
  - The module never reports a change. With O(roundtrip=true) it writes for a moment and removes what
    it wrote, apart from the soft-deleted probe experiment and run described there.
  - MLflow exempts C(/health) and C(/version) from its host-header check, so the V(host) step asks
    for a path under the REST API that no route serves, C(/api/2.0/mlflow/mlops-registry-check-host-probe).
    The host-header check refuses it with 403; otherwise the server answers 404 without touching its
    database (one 404 line per check in the server's access log). It runs before the tracking and
    registry steps, so a refused host is reported as such rather than as a failing API.
  - The experiment count covers active experiments (not deleted ones).
  - A read (GET) whose connection is dropped without an answer is repeated up to three times, a
    second apart, since the workers of a server that just started may still be coming up. Writes
    are never repeated, nor is any request that got an HTTP answer (a 500 included); only
    O(retries) waits, and only for C(/health).
requirements:
  - An MLflow tracking server 3.x reachable from the host that runs the module (usually the
    controller, or the server's own host).
seealso:
  - name: MLflow REST API
    description: The endpoints this module calls.
    link: https://mlflow.org/docs/latest/api_reference/rest-api.html
  - name: Missing artifacts answer 500 (mlflow#24535)
    description: The upstream issue behind the V(roundtrip_missing_artifact) failure.
    link: https://github.com/mlflow/mlflow/issues/24535
  - name: MLflow tracking server security
    description: The host-header check and C(--allowed-hosts).
    link: https://mlflow.org/docs/latest/self-hosting/security/network/
  - module: mlops.mlflow.s3_bucket
    description: Creates the artifact bucket the round trip writes to.
author:
  - mlops.mlflow maintainers (@mlops)
"""

EXAMPLES = r"""
- name: Check the registry, waiting up to two minutes for a server that is starting
  mlops.mlflow.registry_check:
    url: http://mlflow.example.com:5000
    retries: 60
    delay: 2

- name: After an upgrade, check the version and the whole artifact path
  mlops.mlflow.registry_check:
    url: https://mlflow.example.com
    ca_path: /etc/pki/internal-ca.pem
    expected_version: "3.17.2"
    roundtrip: true
  register: mlflow_check

- name: Report the registry
  ansible.builtin.debug:
    msg: >-
      MLflow {{ mlflow_check.version }} holds {{ mlflow_check.experiments_count }} experiments and
      {{ mlflow_check.registered_models_count }} registered models; clients download artifacts
      {{ 'from ' ~ mlflow_check.roundtrip.presigned_endpoint if mlflow_check.roundtrip.download_path == 'presigned' else 'through the server' }};
      the round trip took {{ mlflow_check.latencies.values() | sum | round }} ms in all.

- name: A server with basic authentication, connection from the environment
  mlops.mlflow.registry_check:
    roundtrip: true
  environment:
    MLFLOW_TRACKING_URI: http://mlflow.example.com:5000
    MLFLOW_TRACKING_USERNAME: admin
    MLFLOW_TRACKING_PASSWORD: "{{ vault_mlflow_admin_password }}"
"""

RETURN = r"""
url:
  description: The server URL that was checked (O(url) without a trailing slash).
  returned: always
  type: str
  sample: http://mlflow.example.com:5000
host_header:
  description: The C(Host) header sent, derived from O(url).
  returned: always
  type: str
  sample: mlflow.example.com:5000
version:
  description: The MLflow version the server reports on C(/version).
  returned: success
  type: str
  sample: 3.17.2
experiments_count:
  description:
    - Number of active experiments, at most O(count_limit) (see RV(counts_complete)).
    - V(null) when O(count_limit=0).
  returned: success
  type: int
  sample: 12
registered_models_count:
  description:
    - Number of registered models, at most O(count_limit) (see RV(counts_complete)).
    - V(null) when O(count_limit=0).
  returned: success
  type: int
  sample: 3
counts_complete:
  description: Whether both counts are exact, that is, neither reached O(count_limit).
  returned: success
  type: bool
  sample: true
health_attempts:
  description: How many times C(/health) was asked before it answered.
  returned: always
  type: int
  sample: 1
latencies:
  description:
    - Milliseconds each step took, by step name (for V(health) the last try only).
    - Round trip steps are V(roundtrip_create_experiment), V(roundtrip_create_run),
      V(roundtrip_upload), V(roundtrip_register), V(roundtrip_download),
      V(roundtrip_missing_artifact) and V(roundtrip_cleanup).
  returned: always
  type: dict
  sample: {"health": 2.1, "version": 1.8, "host": 3.0, "tracking": 9.4, "registry": 6.2, "server_info": 2.4}
checks:
  description: Every step in the order it ran, with its outcome. On failure, the last one failed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: >-
        Step name (V(health), V(version), V(host), V(tracking), V(registry), V(server_info),
        V(roundtrip) when skipped, or a round trip step).
      type: str
      returned: always
      sample: tracking
    status:
      description: V(ok), V(failed) or V(skipped).
      type: str
      returned: always
      sample: ok
    detail:
      description: What the step found, in a few words.
      type: str
      returned: always
      sample: 12 active experiments
  sample:
    - {"name": "health", "status": "ok", "detail": "OK"}
    - {"name": "version", "status": "ok", "detail": "MLflow 3.17.2"}
    - {"name": "server_info", "status": "ok", "detail": "nothing advertised: clients transfer artifacts through the server"}
    - {"name": "roundtrip", "status": "skipped", "detail": "roundtrip is false"}
server_info:
  description:
    - What the server advertises to clients in C(/api/3.0/mlflow/server-info), as MLflow's client
      reads it (a missing key is V(false)).
  returned: when the V(server_info) step ran
  type: dict
  contains:
    served:
      description: Whether the server has C(/api/3.0/mlflow/server-info); V(false) (HTTP 404) is an older server, which advertises nothing.
      type: bool
      returned: always
      sample: true
    multipart_downloads_enabled:
      description: Presigned downloads advertised; clients then fetch every artifact from the URL the server signs.
      type: bool
      returned: always
      sample: false
    multipart_uploads_enabled:
      description: Presigned multipart uploads advertised; clients use them for files from 500 MB on.
      type: bool
      returned: always
      sample: false
failed_step:
  description: Name of the step that failed.
  returned: failure
  type: str
  sample: roundtrip_upload
roundtrip:
  description: What the round trip made and removed.
  returned: when the round trip ran (O(roundtrip=true), not in check mode), also on its failure
  type: dict
  contains:
    name:
      description: Name of the probe experiment and registered model.
      type: str
      returned: always
      sample: mlops-registry-check-5f0c2a9d81b4
    experiment_id:
      description: ID of the probe experiment (left soft-deleted).
      type: str
      returned: always
      sample: "7"
    run_id:
      description: ID of the probe run (left soft-deleted).
      type: str
      returned: always
      sample: 0b9a1f6d2c3e4f5a8b7c6d5e4f3a2b1c
    artifact_uri:
      description: The probe run's artifact URI.
      type: str
      returned: always
      sample: mlflow-artifacts:/7/0b9a1f6d2c3e4f5a8b7c6d5e4f3a2b1c/artifacts
    artifact_bytes:
      description: Size of the probe artifact.
      type: int
      returned: always
      sample: 1024
    artifact_sha256:
      description: SHA-256 of the uploaded probe artifact, which the downloaded copy matched.
      type: str
      returned: always
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    model_version:
      description: Version number of the probe model version.
      type: str
      returned: always
      sample: "1"
    download_path:
      description:
        - How the probe artifact was downloaded, V(presigned) (from the URL the server signed) or
          V(proxied) (through the server); V(null) when the round trip stopped before.
      type: str
      returned: always
      sample: presigned
    presigned_endpoint:
      description: Scheme, host and port the presigned URL led to (the rest of the URL is its credential and is not returned); V(null) when proxied.
      type: str
      returned: always
      sample: https://s3.example.com
    missing_artifact_status:
      description: HTTP status answered for the artifact that does not exist, by path (V(proxied), V(presigned)); 404 is right. V(null) when not asked.
      type: dict
      returned: always
      sample: {"proxied": 404, "presigned": 404}
    removed:
      description: What was deleted again.
      type: list
      elements: str
      returned: always
      sample: ["model version 1", "registered model", "artifacts", "run", "experiment"]
    leftovers:
      description: What could not be deleted (empty on success).
      type: list
      elements: str
      returned: always
      sample: []
"""

import hashlib
import os
import time
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlops.mlflow.plugins.module_utils._mlflow import (
    ARTIFACT_STORE,
    BACKEND_STORE,
    FIXED_ROUTE,
    MODEL_REGISTRY,
    MULTIPART_DOWNLOADS,
    MULTIPART_UPLOADS,
    PRESIGNED_TIMEOUT,
    PUBLIC,
    SERVER_INFO_PATH,
    MlflowClient,
    Reply,
    advertised_transfers,
    artifact_path_from_uri,
    artifact_store_cause,
    describe_reply,
    diagnose,
    failure_message,
    is_host_rejection,
    mlflow_argument_spec,
    parse_presigned_download,
    parse_server_url,
    parse_version,
    resolve_validate_certs,
    url_origin,
    version_matches,
)

PROBE_PREFIX = "mlops-registry-check-"
PROBE_TAG = "mlops.registry_check"
PROBE_BYTES = 1024
PAGE_SIZE = 1000
RETRYABLE_HEALTH_STATUS = (502, 503, 504)
# A model version normally is READY at once; give an asynchronous registry a few seconds.
VERSION_READY_POLLS = 10
VERSION_READY_INTERVAL = 0.5
# Asked for under the probe run, never written: what loading runs:/RUN_ID/model asks for
# first when the model is a logged model of MLflow 3 (not a run artifact).
MISSING_ARTIFACT = "model"

# What each step's requests depend on, for the diagnosis of a failure.
STEP_NEEDS = {
    "health": (PUBLIC, FIXED_ROUTE),
    "version": (PUBLIC, FIXED_ROUTE),
    "tracking": (BACKEND_STORE, FIXED_ROUTE),
    "registry": (BACKEND_STORE, FIXED_ROUTE, MODEL_REGISTRY),
    "roundtrip_create_experiment": (BACKEND_STORE,),
    "roundtrip_create_run": (BACKEND_STORE,),
    "roundtrip_upload": (ARTIFACT_STORE,),
    "roundtrip_register": (BACKEND_STORE,),
    "roundtrip_download": (ARTIFACT_STORE,),
    "roundtrip_missing_artifact": (ARTIFACT_STORE,),
    "roundtrip_cleanup": (BACKEND_STORE, ARTIFACT_STORE),
}
# Where the collection's tracking_server role sets what a failure points at.
ALLOWED_HOSTS_HINT = "role variable tracking_server_allowed_hosts_extra"
PRESIGNED_FIX = (
    "set tracking_server_s3_presigned_endpoint_url to an S3 URL clients reach, or leave it empty so the server "
    "proxies every artifact (the collection's server image); another MLflow server signs for its own "
    "MLFLOW_S3_ENDPOINT_URL: make that reachable for clients, or give the server the image's S3 plugin "
    "(mlops-mlflow-artifacts), which advertises no presigned transfer unless told where clients reach S3"
)
MISSING_ARTIFACT_FIX = (
    "the server answers a missing artifact with 500 instead of 404 (upstream mlflow#24535), and MLflow clients that "
    "download through the server retry a 500 for minutes (loading runs:/RUN_ID/model asks for such an artifact first); "
    "the collection's server image (role tracking_server) answers 404: deploy it, or give another MLflow server that "
    "image's plugin (mlops-mlflow-artifacts) or an MLflow release that fixes mlflow#24535"
)


# --------------------------------------------------------------------------- pure helpers


def probe_name(suffix=None):
    """``mlops-registry-check-<12 hex>``: recognisable, and unique per run."""
    return PROBE_PREFIX + (suffix or uuid.uuid4().hex[:12])


def page_size(limit, counted):
    """How many items to ask for next when ``counted`` of at most ``limit`` are counted."""
    if limit <= 0:
        return 1
    return max(1, min(PAGE_SIZE, limit - counted))


def count_page(doc, key):
    """``(items on this page, next page token or None)`` of a search answer."""
    items = doc.get(key) or []
    return len(items), doc.get("next_page_token") or None


def is_retryable_health(reply):
    """A /health answer worth waiting for: no answer at all, or a proxy's 502/503/504."""
    return reply.status is None or reply.status in RETRYABLE_HEALTH_STATUS


def check_entry(name, status, detail=""):
    return {"name": name, "status": status, "detail": detail}


def version_problem(expected, actual):
    """Message for a version mismatch, or None when ``actual`` is what was expected."""
    if expected is None or version_matches(expected, actual):
        return None
    return "the server runs MLflow %s, but expected_version is %s" % (actual, expected)


def summarize_counts(experiments, models, limit):
    """The count fields of the result."""
    if limit <= 0:
        return dict(experiments_count=None, registered_models_count=None, counts_complete=False)
    complete = experiments[1] and models[1]
    return dict(experiments_count=experiments[0], registered_models_count=models[0], counts_complete=complete)


def input_problems(params):
    """Bad option values, as sentences naming the option and what to set."""
    problems = []
    if params["retries"] < 1:
        problems.append("retries must be at least 1 (it is the number of tries of /health)")
    if params["delay"] < 0:
        problems.append("delay must not be negative")
    if params["timeout"] < 1:
        problems.append("timeout must be at least 1 second")
    if params["count_limit"] < 0:
        problems.append("count_limit must not be negative (0 turns counting off)")
    if params["password"] is not None and params["username"] is None:
        problems.append("password is set but username is not: set username (or MLFLOW_TRACKING_USERNAME) too")
    return problems


def step_action(name):
    return "registry_check step '%s'" % name


def describe_advertised(info):
    """The detail of the server_info step."""
    if not info["served"]:
        return "%s not served (MLflow before 3.x): nothing advertised, clients transfer artifacts through the server" % SERVER_INFO_PATH
    offered = [label for key, label in ((MULTIPART_DOWNLOADS, "downloads"), (MULTIPART_UPLOADS, "uploads")) if info[key]]
    if not offered:
        return "nothing advertised: clients transfer artifacts through the server"
    return "presigned %s advertised: clients transfer artifacts from S3 directly" % " and ".join(offered)


def presigned_fetch_cause(endpoint, reply, timeout):
    """Why the presigned download from where the check runs failed, and what to set."""
    advertised = "the server advertises presigned downloads (%s in %s) signed for %s" % (MULTIPART_DOWNLOADS, SERVER_INFO_PATH, endpoint)
    request = "%s %s" % (reply.method, reply.url)
    if reply.status is None and reply.error_kind == "tls":
        return (
            "%s, but this host does not accept its TLS certificate (%s: %s), nor will clients that do not trust it: "
            "trust the S3 endpoint's CA (for this check: ca_path, validate_certs)" % (advertised, request, reply.error)
        )
    if reply.status is None:
        waited = " within %d s" % timeout if reply.error_kind == "timeout" else ""
        return "%s, which this host cannot reach (%s: %s%s), so clients outside the server's network cannot download artifacts; %s" % (
            advertised,
            request,
            reply.error or "no answer",
            waited,
            PRESIGNED_FIX,
        )
    return (
        "%s, but %s answered %s, so clients cannot download artifacts that way; likely cause: that endpoint is not the S3 "
        "service the server writes to (tracking_server_s3_presigned_endpoint_url, else the server's MLFLOW_S3_ENDPOINT_URL), "
        "or something in between changes the request" % (advertised, request, describe_reply(reply))
    )


def missing_artifact_cause(reply):
    """Why an answer other than 404 to a request for a missing artifact matters; None when the
    general diagnosis fits better (no answer at all, a 4xx)."""
    if reply.ok:
        return "the server answered with an artifact that does not exist"
    if reply.status is not None and reply.status >= 500:
        return artifact_store_cause(reply.text) or MISSING_ARTIFACT_FIX
    return None


# --------------------------------------------------------------------------- the check


class CheckFailed(Exception):
    def __init__(self, step, message):
        super().__init__(message)
        self.step = step


class RegistryCheck:
    """Runs the steps in order, recording each in ``checks`` and ``latencies``."""

    def __init__(self, client, host_header, params, check_mode, sleep=time.sleep):
        self.client = client
        self.host_header = host_header
        self.params = params
        self.check_mode = check_mode
        self.sleep = sleep
        self.checks = []
        self.latencies = {}
        self.result = {"health_attempts": 0}

    # Recording

    def _ok(self, name, reply_or_ms, detail=""):
        self.latencies[name] = reply_or_ms.elapsed_ms if isinstance(reply_or_ms, Reply) else reply_or_ms
        self.checks.append(check_entry(name, "ok", detail))

    def _fail(self, name, message, ms=None):
        if ms is not None:
            self.latencies[name] = ms
        self.checks.append(check_entry(name, "failed", message))
        raise CheckFailed(name, message)

    def _fail_reply(self, name, reply, detail_text=None, cause=None):
        if cause is None:
            cause = diagnose(
                reply,
                STEP_NEEDS.get(name, ()),
                host_header=self.host_header,
                timeout=self.client.timeout,
                detail_text=detail_text,
                allowed_hosts_hint=ALLOWED_HOSTS_HINT,
            )
        self._fail(name, failure_message(step_action(name), reply, cause), reply.elapsed_ms)

    def _json(self, name, reply):
        try:
            doc = reply.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            self._fail(
                name,
                "registry_check step '%s' failed: %s %s answered %s, which is not MLflow's JSON; "
                "likely cause: url does not point to an MLflow tracking server" % (name, reply.method, reply.url, describe_reply(reply)),
                reply.elapsed_ms,
            )
        return doc

    # Steps

    def health(self):
        retries, delay = self.params["retries"], self.params["delay"]
        started = time.monotonic()
        for attempt in range(1, retries + 1):
            self.result["health_attempts"] = attempt
            reply = self.client.health()
            if reply.ok:
                self._ok("health", reply, reply.text.strip()[:40])
                return
            if not is_retryable_health(reply) or attempt == retries:
                break
            self.sleep(delay)
        cause = diagnose(reply, STEP_NEEDS["health"], host_header=self.host_header, timeout=self.client.timeout, allowed_hosts_hint=ALLOWED_HOSTS_HINT)
        message = failure_message(step_action("health"), reply, cause)
        if retries > 1:
            message += " (tried %d times over %.0f s)" % (retries, time.monotonic() - started)
        self._fail("health", message, reply.elapsed_ms)

    def version(self):
        reply = self.client.version()
        if not reply.ok:
            self._fail_reply("version", reply)
        version = reply.text.strip()
        if parse_version(version) is None or len(version) > 64:
            self._fail(
                "version",
                "registry_check step 'version' failed: GET %s answered %r, not an MLflow version; likely cause: "
                "url does not point to an MLflow tracking server" % (reply.url, version[:64]),
                reply.elapsed_ms,
            )
        self.result["version"] = version
        problem = version_problem(self.params["expected_version"], version)
        if problem:
            self._fail("version", "registry_check step 'version' failed: %s at %s" % (problem, self.client.base_url), reply.elapsed_ms)
        self._ok("version", reply, "MLflow %s" % version)

    def host(self):
        # Any answer but the host-header check's own 403 (normally a 404) means the Host passed.
        reply = self.client.host_probe()
        if reply.status is None or is_host_rejection(reply.status, reply.text):
            self._fail_reply("host", reply)
        self._ok("host", reply, "Host '%s' accepted" % self.host_header)

    def _count(self, name, search, key, noun):
        limit = self.params["count_limit"]
        counted, token, elapsed = 0, None, 0.0
        while True:
            reply = search(page_size(limit, counted), token)
            elapsed += reply.elapsed_ms
            if not reply.ok:
                self._fail_reply(name, reply)
            items, token = count_page(self._json(name, reply), key)
            counted += items
            if limit <= 0 or not token or counted >= limit:
                break
        complete = token is None
        if limit <= 0:
            detail = "API answers (counting off)"
        else:
            detail = "%s%d %s" % ("" if complete else "at least ", counted, noun)
        self._ok(name, round(elapsed, 1), detail)
        return counted, complete

    def server_info(self):
        """What the server advertises to clients; a 404 is an older server that advertises nothing."""
        reply = self.client.server_info()
        if reply.status == 404:
            info = dict(served=False, **advertised_transfers(None))
        elif reply.ok:
            info = dict(served=True, **advertised_transfers(self._json("server_info", reply)))
        else:
            self._fail_reply("server_info", reply)
        self.result["server_info"] = info
        self._ok("server_info", reply, describe_advertised(info))
        return info

    def tracking(self):
        return self._count("tracking", self.client.search_experiments, "experiments", "active experiments")

    def registry(self):
        return self._count("registry", self.client.search_registered_models, "registered_models", "registered models")

    # Round trip

    def roundtrip(self):
        name = probe_name()
        data = os.urandom(PROBE_BYTES)
        digest = hashlib.sha256(data).hexdigest()
        trip = dict(
            name=name,
            experiment_id=None,
            run_id=None,
            artifact_uri=None,
            artifact_bytes=len(data),
            artifact_sha256=digest,
            model_version=None,
            download_path=None,
            presigned_endpoint=None,
            missing_artifact_status=None,
            removed=[],
            leftovers=[],
        )
        self.result["roundtrip"] = trip
        state = {"artifact_dir": None, "artifact_written": False, "model": False}
        failure = None
        try:
            self._roundtrip_steps(name, data, digest, trip, state)
        except CheckFailed as exc:
            failure = exc
        started = time.monotonic()
        self._cleanup(trip, state)
        cleanup_ms = _ms_since(started)
        if failure is not None:
            if trip["leftovers"]:
                failure.args = ("%s; clean-up left behind: %s" % (failure.args[0], "; ".join(trip["leftovers"])),)
            self.latencies["roundtrip_cleanup"] = cleanup_ms
            raise failure
        if trip["leftovers"]:
            self._fail(
                "roundtrip_cleanup",
                "registry_check step 'roundtrip_cleanup' failed: could not delete %s" % "; ".join(trip["leftovers"]),
                cleanup_ms,
            )
        self._ok("roundtrip_cleanup", cleanup_ms, "removed %s" % ", ".join(trip["removed"]))

    def _roundtrip_steps(self, name, data, digest, trip, state):
        tags = [{"key": PROBE_TAG, "value": "probe"}]

        reply = self.client.create_experiment(name, tags)
        if not reply.ok:
            self._fail_reply("roundtrip_create_experiment", reply)
        trip["experiment_id"] = str(self._json("roundtrip_create_experiment", reply).get("experiment_id") or "") or None
        if not trip["experiment_id"]:
            self._fail(
                "roundtrip_create_experiment", "registry_check step 'roundtrip_create_experiment' failed: no experiment_id in %s" % describe_reply(reply)
            )
        self._ok("roundtrip_create_experiment", reply, "experiment %s (%s)" % (trip["experiment_id"], name))

        reply = self.client.create_run(trip["experiment_id"], "registry-check-probe", tags)
        if not reply.ok:
            self._fail_reply("roundtrip_create_run", reply)
        info = (self._json("roundtrip_create_run", reply).get("run") or {}).get("info") or {}
        trip["run_id"] = info.get("run_id") or info.get("run_uuid")
        trip["artifact_uri"] = info.get("artifact_uri")
        if not trip["run_id"]:
            self._fail("roundtrip_create_run", "registry_check step 'roundtrip_create_run' failed: no run_id in %s" % describe_reply(reply))
        state["artifact_dir"] = artifact_path_from_uri(trip["artifact_uri"])
        if not state["artifact_dir"]:
            self._fail(
                "roundtrip_create_run",
                "registry_check step 'roundtrip_create_run' failed: the probe run's artifact_uri is %r, so clients write "
                "artifacts to the store directly and the server cannot be checked for them; likely cause: the server "
                "does not proxy artifacts: start mlflow server with --serve-artifacts and the default artifact root "
                "mlflow-artifacts:/, or set roundtrip to false" % trip["artifact_uri"],
                reply.elapsed_ms,
            )
        self._ok("roundtrip_create_run", reply, "run %s" % trip["run_id"])

        artifact = state["artifact_dir"] + "/probe/probe.bin"
        reply = self.client.upload_artifact(artifact, data)
        state["artifact_written"] = reply.ok or reply.status is None
        if not reply.ok:
            # MLflow answers a failed upload with a bare 500; listing the same place goes through
            # a code path that reports the artifact store's own error (bucket, credentials).
            listing = self.client.list_artifacts(state["artifact_dir"]) if reply.status is not None else None
            self._fail_reply("roundtrip_upload", reply, detail_text=listing.text if listing is not None and not listing.ok else None)
        self._ok("roundtrip_upload", reply, "%d bytes to %s" % (len(data), artifact))

        started = time.monotonic()
        reply = self.client.create_registered_model(name, tags)
        if not reply.ok:
            self._fail_reply("roundtrip_register", reply)
        state["model"] = True
        source = trip["artifact_uri"].rstrip("/") + "/probe"
        reply = self.client.create_model_version(name, source, trip["run_id"])
        if not reply.ok:
            self._fail_reply("roundtrip_register", reply)
        version = self._json("roundtrip_register", reply).get("model_version") or {}
        trip["model_version"] = str(version.get("version") or "") or None
        status = version.get("status") or "READY"
        polls = 0
        while status == "PENDING_REGISTRATION" and polls < VERSION_READY_POLLS:
            self.sleep(VERSION_READY_INTERVAL)
            polls += 1
            reply = self.client.get_model_version(name, trip["model_version"])
            if not reply.ok:
                self._fail_reply("roundtrip_register", reply)
            status = (self._json("roundtrip_register", reply).get("model_version") or {}).get("status") or "READY"
        if status != "READY":
            self._fail(
                "roundtrip_register",
                "registry_check step 'roundtrip_register' failed: model version %s of '%s' is %s, not READY" % (trip["model_version"], name, status),
            )
        self._ok("roundtrip_register", _ms_since(started), "model '%s' version %s" % (name, trip["model_version"]))

        self._download(state["artifact_dir"], artifact, data, digest, trip)
        self._missing_artifact(state["artifact_dir"] + "/" + MISSING_ARTIFACT, trip)

    def _download(self, artifact_dir, artifact, data, digest, trip):
        """The probe artifact back, the way MLflow's client fetches it: through a presigned URL
        when the server advertises presigned downloads, else through the server."""
        name = "roundtrip_download"
        started = time.monotonic()
        presigned = None
        if self.result["server_info"][MULTIPART_DOWNLOADS]:
            reply = self.client.presigned_download(artifact)
            if not reply.ok:
                cause = None
                if reply.status == 501:
                    cause = (
                        "the server advertises presigned downloads (%s in %s) but hands out no presigned URL, so MLflow "
                        "clients that follow the advertisement cannot download artifacts" % (MULTIPART_DOWNLOADS, SERVER_INFO_PATH)
                    )
                self._fail_reply(name, reply, cause=cause)
            try:
                presigned = parse_presigned_download(self._json(name, reply))
            except ValueError as exc:
                self._fail(name, "%s failed: %s %s answered a presigned download without a usable URL: %s" % (step_action(name), reply.method, reply.url, exc))
        if presigned is not None and presigned[2] is not None:
            url, headers, size = presigned
            trip["download_path"] = "presigned"
            trip["presigned_endpoint"] = url_origin(url)
            reply = self.client.fetch_presigned(url, headers, size)
            if not reply.ok:
                cause = presigned_fetch_cause(trip["presigned_endpoint"], reply, min(self.client.timeout, PRESIGNED_TIMEOUT))
                self._fail(name, "%s failed: %s" % (step_action(name), cause), _ms_since(started))
            how = "through a presigned URL for %s" % trip["presigned_endpoint"]
        else:
            # MLflow's client downloads through the server when the presigned answer has no size.
            trip["download_path"] = "proxied"
            reply = self.client.download_artifact(artifact)
            if not reply.ok:
                listing = self.client.list_artifacts(artifact_dir) if reply.status is not None else None
                self._fail_reply(name, reply, detail_text=listing.text if listing is not None and not listing.ok else None)
            how = "through the server"
        got = hashlib.sha256(reply.body).hexdigest()
        if got != digest:
            self._fail(
                name,
                "%s failed: downloaded %d bytes %s with SHA-256 %s, uploaded %d bytes with SHA-256 %s; likely cause: the "
                "artifact store or a proxy in between altered the artifact" % (step_action(name), len(reply.body), how, got, len(data), digest),
                _ms_since(started),
            )
        self._ok(name, _ms_since(started), "%d bytes %s, SHA-256 matches" % (len(reply.body), how))

    def _missing_artifact(self, path, trip):
        """An artifact that does not exist must answer 404 (clients give up at once) on each
        path a client may ask by: through the server, and presigned where advertised."""
        name = "roundtrip_missing_artifact"
        started = time.monotonic()
        asks = [("proxied", self.client.download_artifact)]
        if self.result["server_info"][MULTIPART_DOWNLOADS]:
            asks.append(("presigned", self.client.presigned_download))
        answers = trip["missing_artifact_status"] = {}
        for path_kind, ask in asks:
            reply = ask(path)
            answers[path_kind] = reply.status
            if reply.status != 404:
                self._fail_reply(name, reply, cause=missing_artifact_cause(reply))
        self._ok(name, _ms_since(started), "%s answers 404 (%s)" % (path, " and ".join(answers)))

    def _cleanup(self, trip, state):
        """Delete whatever the round trip made; record what was removed and what was not."""

        def gone(reply):
            return reply.ok or reply.status == 404 or "RESOURCE_DOES_NOT_EXIST" in reply.text

        def attempt(label, reply):
            if gone(reply):
                trip["removed"].append(label)
                return True
            trip["leftovers"].append("%s (%s %s: %s)" % (label, reply.method, reply.url, describe_reply(reply)))
            return False

        name = trip["name"]
        if state["model"]:
            if trip["model_version"]:
                attempt("model version %s" % trip["model_version"], self.client.delete_model_version(name, trip["model_version"]))
            attempt("registered model '%s'" % name, self.client.delete_registered_model(name))
        if state["artifact_written"] and state["artifact_dir"]:
            reply = self.client.delete_artifacts(state["artifact_dir"])
            if attempt("artifacts under %s" % state["artifact_dir"], reply):
                files = self._remaining_files(state["artifact_dir"])
                if files:
                    trip["removed"].pop()
                    trip["leftovers"].append("artifacts under %s (still listed: %s)" % (state["artifact_dir"], ", ".join(files)))
        if trip["run_id"]:
            attempt("run %s (soft-deleted)" % trip["run_id"], self.client.delete_run(trip["run_id"]))
        if trip["experiment_id"]:
            attempt("experiment %s (soft-deleted)" % trip["experiment_id"], self.client.delete_experiment(trip["experiment_id"]))

    def _remaining_files(self, path, depth=0):
        """Files still listed under path, descending into directories.

        A versioned bucket keeps delete markers, and MinIO still lists their prefix as a
        directory that holds no file: such an empty directory is not a leftover.
        """
        listing = self.client.list_artifacts(path)
        if not listing.ok:
            return []
        try:
            entries = listing.json().get("files") or []
        except ValueError:
            return []
        found = []
        for entry in entries:
            entry_path = entry.get("path") or "?"
            if entry.get("is_dir") and depth < 4:
                # MLflow lists paths relative to the run's artifact root.
                found.extend(self._remaining_files(path.rstrip("/") + "/" + entry_path.split("/")[-1], depth + 1))
            else:
                found.append(entry_path)
        return found

    # Everything

    def run(self):
        self.result["url"] = self.client.base_url
        self.result["host_header"] = self.host_header
        self.health()
        self.version()
        self.host()
        experiments = self.tracking()
        models = self.registry()
        self.result.update(summarize_counts(experiments, models, self.params["count_limit"]))
        self.server_info()
        if not self.params["roundtrip"]:
            self.checks.append(check_entry("roundtrip", "skipped", "roundtrip is false"))
        elif self.check_mode:
            self.checks.append(check_entry("roundtrip", "skipped", "check mode: the round trip writes a probe"))
        else:
            self.roundtrip()
        return self.output()

    def output(self):
        out = dict(self.result)
        out.update(checks=self.checks, latencies=self.latencies)
        return out


def _ms_since(started):
    return round((time.monotonic() - started) * 1000.0, 1)


def main():
    argument_spec = mlflow_argument_spec()
    argument_spec.update(
        expected_version=dict(type="str"),
        roundtrip=dict(type="bool", default=False),
        retries=dict(type="int", default=1),
        delay=dict(type="float", default=2),
        count_limit=dict(type="int", default=10000),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    problems = input_problems(params)
    try:
        base_url, host_header = parse_server_url(params["url"])
    except ValueError as exc:
        problems.insert(0, str(exc))
    if problems:
        module.fail_json(msg="registry_check: %s" % "; ".join(problems), changed=False)

    client = MlflowClient(
        base_url,
        username=params["username"],
        password=params["password"],
        validate_certs=resolve_validate_certs(params["validate_certs"], os.environ),
        ca_path=params["ca_path"],
        timeout=params["timeout"],
        agent="mlops.mlflow.registry_check",
    )
    check = RegistryCheck(client, host_header, params, module.check_mode)
    try:
        result = check.run()
    except CheckFailed as exc:
        module.fail_json(msg=str(exc), changed=False, failed_step=exc.step, **check.output())
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
