#!/usr/bin/python
# Copyright: mlops.mlflow contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


DOCUMENTATION = r"""
module: minio_user
short_description: Manage a MinIO user, its own policy and the policies attached to it
version_added: 0.2.0
description:
  - Create, change or remove a MinIO user (access key, secret key, enabled or disabled) through
    MinIO's admin API; create or update a named policy document; and attach exactly the policies
    asked for to the user, detaching any other.
  - Made so that a service such as the MLflow tracking server gets a MinIO user of its own,
    allowed only what it needs on its bucket, instead of MinIO's root credentials. The filter
    P(mlops.mlflow.object_access_policy#filter) writes the policy for that case.
  - The module reads the user and the policies, compares them with what was asked and changes
    only what differs; in check mode it reports the same result and writes nothing.
  - MinIO never hands a secret key back. With O(update_secret_key=always) the module signs a
    harmless request (S3 C(ListBuckets)) as the user with O(secret_key); MinIO rejects the
    signature if the key is not the user's, and only then is the key set.
extends_documentation_fragment:
  - mlops.mlflow.attributes
  - mlops.mlflow.minio
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - Access key of the user, its user name in MinIO.
      - At least 3 characters, without V(=) or V(,) and without white space at either end, and not
        O(login_access_key); checked before anything is sent.
    type: str
    required: true
    aliases: [user]
  state:
    description:
      - V(present) creates the user if it is missing and applies the other options.
      - V(absent) removes the user (MinIO removes its policy attachments with it) and, with
        O(remove_policy=true), the policy O(policy_name).
    type: str
    choices: [present, absent]
    default: present
  secret_key:
    description:
      - Secret key of the user, at least 8 characters. Never logged.
      - Required when the user does not exist yet. Unset leaves the secret key of an existing user
        alone.
      - How an existing user's key is kept is set by O(update_secret_key).
    type: str
  update_secret_key:
    description:
      - V(always) checks that O(secret_key) is the user's secret key and sets it when it is not.
      - V(on_create) sets O(secret_key) only when the module creates the user, for a key rotated
        elsewhere after that.
      - A disabled user cannot sign requests, so its key cannot be checked. While the user stays
        disabled (O(enabled=false)) its key is left alone; when the module enables a disabled user
        with V(always), it sets O(secret_key) in the same step.
    type: str
    choices: [always, on_create]
    default: always
  enabled:
    description:
      - Whether the user may sign in. V(false) keeps the user, its key and its policies, but MinIO
        refuses every request the user signs.
    type: bool
    default: true
  policy_name:
    description:
      - Name of a policy to attach to the user; with O(policy), the name the module stores that
        document under.
      - Without O(policy) the policy must exist (a policy of MinIO's own, such as V(readonly), or one
        made elsewhere).
      - Must not contain V(,). With O(policy) or O(remove_policy=true) it must not be one of MinIO's
        built-in policies (V(consoleAdmin), V(diagnostics), V(readonly), V(readwrite),
        V(writeonly)), which every user of the server shares.
    type: str
  policy:
    description:
      - Policy document for O(policy_name), as JSON text or a dictionary, in the IAM policy language
        MinIO uses; C(Version) must be V(2012-10-17).
      - The policy is created, or replaced when it differs. It is compared with the policy MinIO
        holds by meaning, not as text. MinIO hands policies back reformatted (single values as
        lists, actions and condition values in any order, empty C(Sid) dropped), which does not
        count as a change.
      - A policy document serves every user it is attached to; changing it changes them all.
    type: json
  policies:
    description:
      - Further existing policies to attach to the user, besides O(policy_name).
      - When O(policy_name) or O(policies) is set, the user ends up with exactly these policies
        attached, and any other is detached; V([]) without O(policy_name) detaches all. When
        neither is set, the user's policies are left alone.
    type: list
    elements: str
  remove_policy:
    description:
      - With O(state=absent), also remove the policy O(policy_name).
      - The module fails without changing anything if another user or a group still has that
        policy attached; it names them.
    type: bool
    default: false
notes:
  - Policies live beside users in MinIO. MinIO changes the policies attached to a user only while
    the user is enabled; to change those of a disabled user, the module enables it for that moment
    and disables it again, also when the change fails. A new user with O(enabled=false) is created
    enabled, given its policies and then disabled.
  - The user's secret key goes to MinIO encrypted with O(login_secret_key), as MinIO's admin API
    requires; it is never returned, and the diff shows it only as C(********).
  - Does not manage groups, service accounts (access keys of a user), LDAP or OpenID users.
seealso:
  - module: mlops.mlflow.s3_bucket
  - plugin: mlops.mlflow.object_access_policy
    plugin_type: filter
  - name: MinIO access management
    description: Users, policies and how MinIO evaluates them.
    link: https://min.io/docs/minio/linux/administration/identity-access-management/minio-user-management.html
author:
  - mlops.mlflow maintainers (@mlops)
"""

EXAMPLES = r"""
- name: MLflow's own MinIO user, allowed objects and multipart uploads on its bucket and nothing else
  mlops.mlflow.minio_user:
    name: mlflow
    secret_key: "{{ vault_minio_mlflow_secret_key }}"
    policy_name: mlflow-artifacts
    policy: "{{ 'mlflow' | mlops.mlflow.object_access_policy }}"
    endpoint_url: http://minio.example.com:9000
    login_access_key: "{{ vault_minio_root_user }}"
    login_secret_key: "{{ vault_minio_root_password }}"

- name: Same, restricted to the prefix artifacts/ of a shared bucket
  mlops.mlflow.minio_user:
    name: mlflow
    secret_key: "{{ vault_minio_mlflow_secret_key }}"
    policy_name: mlflow-artifacts
    policy: "{{ 'shared' | mlops.mlflow.object_access_policy(prefix='artifacts') }}"
    endpoint_url: https://minio.example.com
    ca_bundle: /etc/ssl/certs/internal-ca.pem
    login_access_key: "{{ vault_minio_root_user }}"
    login_secret_key: "{{ vault_minio_root_password }}"

- name: A read-only user with MinIO's built-in policy; its key is rotated elsewhere once created
  mlops.mlflow.minio_user:
    name: auditor
    secret_key: "{{ vault_minio_auditor_initial_secret_key }}"
    update_secret_key: on_create
    policies: [readonly]
    endpoint_url: http://minio.example.com:9000
    login_access_key: "{{ vault_minio_root_user }}"
    login_secret_key: "{{ vault_minio_root_password }}"

- name: Connection options once for several tasks
  module_defaults:
    group/mlops.mlflow.minio:
      endpoint_url: http://minio.example.com:9000
      login_access_key: "{{ vault_minio_root_user }}"
      login_secret_key: "{{ vault_minio_root_password }}"
  block:
    - name: Lock the user out, keeping its key and policies
      mlops.mlflow.minio_user:
        name: mlflow
        enabled: false

    - name: Remove the user and its policy
      mlops.mlflow.minio_user:
        name: mlflow
        state: absent
        policy_name: mlflow-artifacts
        remove_policy: true
"""

RETURN = r"""
user:
  description: The user after the module ran (in check mode, as it would be).
  returned: success
  type: dict
  contains:
    name:
      description: Access key of the user.
      type: str
      returned: always
      sample: mlflow
    exists:
      description: Whether the user exists.
      type: bool
      returned: always
      sample: true
    enabled:
      description: Whether the user is enabled, V(null) when it does not exist.
      type: bool
      returned: always
      sample: true
    policies:
      description: Names of the policies attached to the user, sorted.
      type: list
      elements: str
      returned: always
      sample: [mlflow-artifacts]
policy:
  description: The policy O(policy_name) after the module ran (in check mode, as it would be).
  returned: when O(policy_name) is set
  type: dict
  contains:
    name:
      description: Name of the policy.
      type: str
      returned: always
      sample: mlflow-artifacts
    exists:
      description: Whether the policy exists.
      type: bool
      returned: always
      sample: true
    document:
      description: The policy document as MinIO hands it back (in check mode, as given), V(null) when it does not exist.
      type: dict
      returned: always
      sample:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["s3:GetBucketLocation"]
            Resource: ["arn:aws:s3:::mlflow"]
actions:
  description: What was done (in check mode, what would be done), in order.
  returned: success
  type: list
  elements: str
  sample: ["create policy 'mlflow-artifacts'", "create user 'mlflow'", "attach policy 'mlflow-artifacts'"]
diff:
  description:
    - The user and the policy before and after, with the keys of RV(user) and RV(policy). The user's
      C(secret_key) shows only as C(********), with C( (changed)) when the module sets it.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: State before the module ran.
      type: dict
      returned: always
    after:
      description: State after the module ran (in check mode, the state it would have).
      type: dict
      returned: always
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mlops.mlflow.plugins.module_utils._minio import (
    BUILTIN_POLICIES,
    HAS_MINIO,
    MINIO_IMPORT_ERROR,
    REDACTED,
    MinioAdminClient,
    MinioError,
    PolicyError,
    access_key_problems,
    endpoint_problem,
    minio_admin_argument_spec,
    parse_policy,
    policy_matches,
    policy_name_problems,
    secret_key_problems,
)


class PlanError(Exception):
    """The wanted state cannot be reached from the state read; nothing was changed."""


def _quoted(names):
    return ", ".join("'%s'" % n for n in names)


def _policy_word(names):
    return "policy" if len(names) == 1 else "policies"


def wanted_policies(params):
    """The exact set of policies the user should have attached, or None to leave them alone."""
    if params["policy_name"] is None and params["policies"] is None:
        return None
    names = set(params["policies"] or [])
    if params["policy_name"]:
        names.add(params["policy_name"])
    return sorted(names)


def user_view(user, secret_changed=False):
    """The user as the diff shows it: the secret key only as a marker."""
    view = dict(user)
    view["secret_key"] = (REDACTED + " (changed)" if secret_changed else REDACTED) if user["exists"] else None
    return view


# --------------------------------------------------------------------------- planning (no server)


def plan_present(state, params):
    """What brings MinIO from ``state`` (as read) to what ``params`` ask for.

    Returns a dict of the writes to make (in the order ``apply_present`` makes them), the
    ``actions`` that describe them, and the user and policy after them.
    """
    where, name = state["where"], params["name"]
    user, policy = state["user"], state["policy"]
    plan = dict(actions=[], put_policy=False, add_user=False, enable_for_policies=False, attach=[], detach=[], set_enabled=None)

    policy_after = None if policy is None else dict(policy)
    if params["policy"] is not None:
        if not policy["exists"]:
            plan["actions"].append("create policy '%s'" % policy["name"])
        elif not policy_matches(policy["document"], params["policy"]):
            plan["actions"].append("update policy '%s'" % policy["name"])
        if plan["actions"]:
            plan["put_policy"] = True
            policy_after = dict(policy, exists=True, document=params["policy"])
    elif policy is not None and not policy["exists"]:
        raise PlanError("policy '%s' (option policy_name) does not exist at %s: set policy to its document so the module creates it, "
                        "or name an existing policy" % (policy["name"], where))
    if state["missing_policies"]:
        raise PlanError("%s %s (option policies) %s not exist at %s: create %s first, or remove %s from policies"
                        % (_policy_word(state["missing_policies"]).capitalize(), _quoted(state["missing_policies"]),
                           "does" if len(state["missing_policies"]) == 1 else "do", where,
                           "it" if len(state["missing_policies"]) == 1 else "them", "it" if len(state["missing_policies"]) == 1 else "them"))

    secret_changed = False
    if not user["exists"]:
        if params["secret_key"] is None:
            raise PlanError("user '%s' does not exist at %s: set secret_key so the module can create it" % (name, where))
        plan["actions"].append("create user '%s'" % name)
        plan["add_user"] = True
        enabled_now, current_policies = True, []
    else:
        enabled_now, current_policies = user["enabled"], user["policies"]
        resets_key = params["secret_key"] is not None and params["update_secret_key"] == "always"  # noqa: S105  an option's value
        if params["enabled"] and resets_key and (not enabled_now or state["secret_matches"] is False):
            # add-user sets the key and enables the user in one call.
            plan["actions"].append("set the secret key of user '%s'" % name)
            plan["add_user"] = secret_changed = enabled_now = True

    wanted = wanted_policies(params)
    if wanted is not None:
        plan["attach"] = [p for p in wanted if p not in current_policies]
        plan["detach"] = sorted(p for p in current_policies if p not in wanted)
        if plan["attach"]:
            plan["actions"].append("attach %s %s to user '%s'" % (_policy_word(plan["attach"]), _quoted(plan["attach"]), name))
        if plan["detach"]:
            plan["actions"].append("detach %s %s from user '%s'" % (_policy_word(plan["detach"]), _quoted(plan["detach"]), name))
        if (plan["attach"] or plan["detach"]) and not enabled_now:
            # MinIO changes the policies of enabled users only.
            plan["enable_for_policies"] = enabled_now = True
    policies_after = wanted if wanted is not None else current_policies

    if params["enabled"] != enabled_now:
        plan["set_enabled"] = params["enabled"]
    # A new user is created enabled; enabling a user only while its policies change is no change of its status.
    if params["enabled"] != (user["enabled"] if user["exists"] else True):
        plan["actions"].append("%s user '%s'" % ("enable" if params["enabled"] else "disable", name))

    plan["user_after"] = dict(user, exists=True, enabled=params["enabled"], policies=policies_after)
    plan["policy_after"] = policy_after
    plan["secret_changed"] = secret_changed or not user["exists"]
    return plan


def plan_absent(state, params):
    """Removal of the user and, with remove_policy, of its policy."""
    where, name = state["where"], params["name"]
    user, policy = state["user"], state["policy"]
    plan = dict(actions=[], remove_user=user["exists"], remove_policy=False)
    if user["exists"]:
        plan["actions"].append("remove user '%s'" % name)
    policy_after = None if policy is None else dict(policy)
    if params["remove_policy"] and policy["exists"]:
        users = [u for u in state["policy_users"] if u != name]
        groups = state["policy_groups"]
        if users or groups:
            holders = []
            if users:
                holders.append("user%s %s" % ("s" if len(users) > 1 else "", _quoted(users)))
            if groups:
                holders.append("group%s %s" % ("s" if len(groups) > 1 else "", _quoted(groups)))
            raise PlanError("cannot remove policy '%s' at %s: it is still attached to %s; detach it from them first, or set remove_policy: false"
                            % (policy["name"], where, " and ".join(holders)))
        plan["actions"].append("remove policy '%s'" % policy["name"])
        plan["remove_policy"] = True
        policy_after = dict(policy, exists=False, document=None)
    plan["user_after"] = dict(user, exists=False, enabled=None, policies=[])
    plan["policy_after"] = policy_after
    plan["secret_changed"] = False
    return plan


# --------------------------------------------------------------------------- reading and applying


def read_state(client, params):
    """What the plans need to know, read from MinIO."""
    name, policy_name = params["name"], params["policy_name"]
    user = client.read_user(name)
    state = dict(where=client.endpoint, user=user, policy=None, secret_matches=None, missing_policies=[], policy_users=[], policy_groups=[])
    if policy_name:
        state["policy"] = client.read_policy(policy_name)
    if params["state"] == "absent":
        if params["remove_policy"] and state["policy"]["exists"]:
            state["policy_users"], state["policy_groups"] = client.policy_entities(policy_name)
        return state
    for other in sorted(set(params["policies"] or []) - set([policy_name])):
        if other not in user["policies"] and not client.read_policy(other)["exists"]:
            state["missing_policies"].append(other)
    if (user["exists"] and user["enabled"] and params["enabled"] and params["secret_key"] is not None
            and params["update_secret_key"] == "always"):  # noqa: S105  an option's value
        state["secret_matches"] = client.secret_key_works(name, params["secret_key"])
    return state


def apply_present(client, plan, params):
    name = params["name"]
    if plan["put_policy"]:
        client.put_policy(params["policy_name"], params["policy"])
    if plan["add_user"]:
        client.add_user(name, params["secret_key"])
    if plan["attach"] or plan["detach"]:
        if plan["enable_for_policies"]:
            client.set_enabled(name, True)
        try:
            if plan["attach"]:
                client.attach_policies(name, plan["attach"])
            if plan["detach"]:
                client.detach_policies(name, plan["detach"])
        except MinioError:
            if plan["enable_for_policies"] and not params["enabled"]:
                client.set_enabled(name, False)
            raise
    if plan["set_enabled"] is not None:
        client.set_enabled(name, plan["set_enabled"])


def apply_absent(client, plan, params):
    if plan["remove_user"]:
        client.remove_user(params["name"])
    if plan["remove_policy"]:
        client.remove_policy(params["policy_name"])


def check_options(params):
    """Fail, before any call, on values that MinIO would refuse or that would do harm."""
    problems = access_key_problems(params["name"])
    if problems:
        return "invalid user name (access key) '%s': %s; set name to a valid MinIO access key" % (params["name"], "; ".join(problems))
    if params["name"] == params["login_access_key"]:
        return ("name '%s' is login_access_key, the account the module logs in as: the module does not manage its own login; "
                "set name to another user" % params["name"])
    problem = endpoint_problem(params["endpoint_url"])
    if problem:
        return "invalid endpoint_url '%s': %s; set it to the MinIO server's S3 API URL, for example http://minio.example.com:9000" % (
            params["endpoint_url"], problem)
    if params["secret_key"] is not None:
        problems = secret_key_problems(params["secret_key"])
        if problems:
            return "invalid secret_key for user '%s': %s; MinIO refuses shorter keys" % (params["name"], "; ".join(problems))
    for option, names in (("policy_name", [params["policy_name"]] if params["policy_name"] is not None else []), ("policies", params["policies"] or [])):
        for policy_name in names:
            problems = policy_name_problems(policy_name)
            if problems:
                return "invalid policy name '%s' in %s: %s" % (policy_name, option, "; ".join(problems))
    if params["policy"] is not None and params["policy_name"] is None:
        return "policy is set but policy_name is not: set policy_name to the name to store the policy under"
    if params["remove_policy"] and params["policy_name"] is None:
        return "remove_policy is true but policy_name is not set: set policy_name to the policy to remove"
    if params["policy_name"] in BUILTIN_POLICIES and (params["policy"] is not None or params["remove_policy"]):
        return ("policy_name '%s' is a built-in MinIO policy, shared by every user of the server: the module neither rewrites nor removes it; "
                "choose another policy_name (a built-in policy can be attached through policies)" % params["policy_name"])
    return None


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["user"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        secret_key=dict(type="str", no_log=True),
        update_secret_key=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
        enabled=dict(type="bool", default=True),
        policy_name=dict(type="str"),
        policy=dict(type="json"),
        policies=dict(type="list", elements="str"),
        remove_policy=dict(type="bool", default=False),
    )
    argument_spec.update(minio_admin_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(module.params)

    message = check_options(params)
    if message:
        module.fail_json(msg=message)
    if params["policy"] is not None:
        try:
            params["policy"] = parse_policy(params["policy"])
        except PolicyError as exc:
            module.fail_json(msg="invalid policy for policy_name '%s': %s" % (params["policy_name"], exc))
    if not HAS_MINIO:
        module.fail_json(msg=missing_required_lib("minio"), exception=MINIO_IMPORT_ERROR)

    try:
        client = MinioAdminClient(**{option: params[option] for option in minio_admin_argument_spec()})
    except ValueError as exc:
        module.fail_json(msg="invalid connection options for %s: %s; check endpoint_url and region" % (params["endpoint_url"], exc))

    try:
        state = read_state(client, params)
        if params["state"] == "present":
            plan = plan_present(state, params)
            if plan["actions"] and not module.check_mode:
                apply_present(client, plan, params)
        else:
            plan = plan_absent(state, params)
            if plan["actions"] and not module.check_mode:
                apply_absent(client, plan, params)
        user_after, policy_after = plan["user_after"], plan["policy_after"]
        if plan["actions"] and not module.check_mode:
            user_after = client.read_user(params["name"])
            policy_after = client.read_policy(params["policy_name"]) if params["policy_name"] else None
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    except MinioError as exc:
        module.fail_json(msg=str(exc), error_code=exc.code)

    result = dict(changed=bool(plan["actions"]), actions=plan["actions"], user=user_after)
    if params["policy_name"]:
        result["policy"] = policy_after
    if module._diff:
        before = dict(user=user_view(state["user"]))
        after = dict(user=user_view(user_after, plan["secret_changed"]))
        if params["policy_name"]:
            before["policy"], after["policy"] = state["policy"], policy_after
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
