"""Rehearsal of deploy/aws/stack.yaml in moto's CloudFormation (a real moto server on loopback).

Moto creates most of the stack's resources, but it silently skips some types (App Runner, ECS
Express Mode, the bucket policy, the Secrets Manager secret) and ignores some properties of those it creates (S3
versioning, public access block, EventBridge notifications and lifecycle; ECR scan on push and
lifecycle policy; the task definition's launch type, network mode, CPU and roles). So every resource the deployment relies on is checked explicitly: through moto's own
APIs where moto models it, and by parsing the template where it does not (those tests say
"template" in their names). CREATE_COMPLETE alone proves little.

The IAM checks evaluate the roles' policies as moto stored them (intrinsics resolved) with a small
evaluator of Allow statements: actions and resources with wildcards, and the condition operators
the template uses. It is not IAM, but it fails when a role can do more, or less, than intended.
"""

import ast
import fnmatch
import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import yaml

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "stack.yaml"
ROOT = HERE.parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/futbr:rehearsal"


# ------------------------------------------------------------------ the template as data
class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags kept as {"Fn::X": value} / {"Ref": value}."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template():
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def props(template, logical):
    return template["Resources"][logical]["Properties"]


# ------------------------------------------------------------------ a moto server of our own
# Resource types moto's CloudFormation does not create (it warns and goes on).
MOTO_SKIPS = {
    "LakeBucketPolicy",
    "ApiService",
    "ApiAutoScaling",
    "ApiExpressService",
    "AdminTokenSecret",
}
# Every resource of the API, on either runtime.
API_RESOURCES = {
    "ApiInstanceRole",
    "ApiAccessRole",
    "ApiAutoScaling",
    "ApiService",
    "ApiLogGroup",
    "ApiExecutionRole",
    "ApiInfrastructureRole",
    "ApiExpressService",
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url():
    port = _free_port()
    log = open(os.environ.get("TMPDIR", "/tmp") + f"/futbr-stack-moto-{port}.log", "w")
    proc = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None, "moto_server exited"
            assert time.monotonic() < deadline, "moto_server did not start in 30 s"
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def aws(moto_url):
    session = boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
    )
    return lambda service: session.client(service, endpoint_url=moto_url)


def template_for_moto(with_api):
    """The template as deployed; with the API on, minus the ApiUrl output, which reads an
    attribute of the API service (App Runner or ECS Express) that moto does not create (moto
    fails the whole DescribeStacks on it). deploy.sh's first phase (DeployApi=false) needs no
    change."""
    if not with_api:
        return TEMPLATE.read_text()
    text = TEMPLATE.read_text()
    start = text.index("  ApiUrl:\n")
    end = text.index("  StateMachineArn:\n", start)
    return text[:start] + text[end:]


def create_stack(aws, name, body=None, **parameters):
    params = {"ProjectName": name, "ImageUri": IMAGE.replace("/futbr:", f"/{name}:")}
    params.update(parameters)
    cfn = aws("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=body or template_for_moto(params.get("DeployApi", "true") == "true"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + 120
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        assert time.monotonic() < deadline, stack["StackStatus"]
        time.sleep(0.5)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return resources, outputs


@pytest.fixture(scope="module")
def first_phase(aws):
    """deploy.sh's first phase: everything but the API."""
    return create_stack(aws, "futbrloop", DeployApi="false")


@pytest.fixture(scope="module")
def stack(aws):
    return create_stack(aws, "futbr")


@pytest.fixture(scope="module")
def admin_stack(aws):
    return create_stack(aws, "futbradmin", EnableAdminUploads="true")


@pytest.fixture(scope="module")
def app_runner_stack(aws):
    """For accounts that already use App Runner."""
    return create_stack(aws, "futbrar", ApiRuntime="app-runner", EnableAdminUploads="true")


# ------------------------------------------------------------------ IAM-lite
def _match(pattern, value, case=True):
    if case:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _as_list(x):
    return x if isinstance(x, list) else [x]


def _conditions_hold(condition, context):
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            if key not in context:
                return False
            actual = context[key]
            expected = _as_list(expected)
            if operator == "StringLike":
                ok = any(_match(e, actual) for e in expected)
            elif operator in ("StringEquals", "ArnEquals", "Bool"):
                ok = actual in expected
            else:
                raise AssertionError(f"the evaluator does not know {operator}")
            if not ok:
                return False
    return True


def role_statements(aws, role_name):
    iam = aws("iam")
    statements = []
    for policy in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=policy)["PolicyDocument"]
        if isinstance(doc, str):
            # moto keeps a policy created by CloudFormation as the text of a Python dict.
            doc = ast.literal_eval(doc)
        statements += _as_list(doc["Statement"])
    assert not iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"], (
        f"{role_name} must not carry managed policies"
    )
    return statements


def allowed(statements, action, resource, **context):
    for st in statements:
        if st is None:
            continue  # moto keeps an !If's AWS::NoValue as null; CloudFormation drops it
        assert st["Effect"] == "Allow", "the roles only allow; a Deny needs a real evaluator"
        if not any(_match(a, action, case=False) for a in _as_list(st["Action"])):
            continue
        if not any(_match(r, resource) for r in _as_list(st["Resource"])):
            continue
        if _conditions_hold(st.get("Condition"), context):
            return True
    return False


def trust_principals(aws, role_name):
    doc = aws("iam").get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(doc, str):
        doc = ast.literal_eval(doc)
    return [s["Principal"]["Service"] for s in _as_list(doc["Statement"])]


# ------------------------------------------------------------------ the tests
def test_first_phase_creates_the_loop_without_the_api(first_phase, template):
    resources, outputs = first_phase
    declared = {k for k, v in template["Resources"].items() if "Condition" not in v}
    assert declared - MOTO_SKIPS <= set(resources), declared - set(resources)
    assert not API_RESOURCES & set(resources)
    assert outputs["ApiUrl"] == "not deployed (DeployApi=false)"
    assert outputs["BucketName"] == f"futbrloop-lake-{ACCOUNT}-{REGION}"
    assert outputs["StateMachineArn"].endswith(":stateMachine:futbrloop-loop")


def test_stack_with_the_api_declares_every_resource(stack, template):
    resources, outputs = stack
    # The defaults: the API on ECS Express, no admin uploads.
    defaults = {None, "WithApi", "WithExpressApi"}
    declared = {k for k, v in template["Resources"].items() if v.get("Condition") in defaults}
    assert declared - MOTO_SKIPS <= set(resources), declared - set(resources)
    assert not {"ApiService", "ApiAutoScaling", "ApiAccessRole"} & set(resources)
    assert set(outputs) >= {"BucketName", "StateMachineArn"}
    assert outputs["BucketName"] == f"futbr-lake-{ACCOUNT}-{REGION}"


def test_bucket_exists_encrypted_in_moto(aws, stack):
    _, outputs = stack
    s3 = aws("s3")
    s3.head_bucket(Bucket=outputs["BucketName"])
    rule = s3.get_bucket_encryption(Bucket=outputs["BucketName"])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_versioning_public_block_events_lifecycle_in_template(template):
    # moto's CloudFormation ignores these bucket properties: checked in the template.
    p = props(template, "LakeBucket")
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    sse = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert p["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    rules = p["LifecycleConfiguration"]["Rules"]
    noncurrent = [r for r in rules if "NoncurrentVersionExpiration" in r]
    assert noncurrent and noncurrent[0]["Status"] == "Enabled"
    assert noncurrent[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == {
        "Ref": "NoncurrentVersionDays"
    }


def test_bucket_policy_denies_plain_http_in_template(template):
    # moto's CloudFormation skips AWS::S3::BucketPolicy: checked in the template.
    p = props(template, "LakeBucketPolicy")
    assert p["Bucket"] == {"Ref": "LakeBucket"}
    (st,) = p["PolicyDocument"]["Statement"]
    assert st["Effect"] == "Deny" and st["Principal"] == "*" and st["Action"] == "s3:*"
    assert st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": ["LakeBucket", "Arn"]} in st["Resource"]
    assert {"Fn::Sub": "${LakeBucket.Arn}/*"} in st["Resource"]


def test_image_repository_scans_on_push(aws, stack, template):
    repo = aws("ecr").describe_repositories(repositoryNames=["futbr"])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    # moto ignores scan on push and the lifecycle policy in CloudFormation: checked in the template.
    assert props(template, "ImageRepository")["ImageScanningConfiguration"] == {"ScanOnPush": True}
    policy = json.loads(props(template, "ImageRepository")["LifecyclePolicy"]["LifecyclePolicyText"])
    actions = [r["action"]["type"] for r in policy["rules"]]
    assert actions == ["expire", "expire"]


def test_job_task_definition_runs_the_image_on_fargate_with_logs(aws, stack, template):
    resources, outputs = stack
    ecs = aws("ecs")
    cluster = ecs.describe_clusters(clusters=["futbr-jobs"])["clusters"][0]
    assert cluster["status"] == "ACTIVE"
    td = ecs.describe_task_definition(
        taskDefinition=resources["JobTaskDefinition"]["PhysicalResourceId"]
    )["taskDefinition"]
    assert td["family"] == "futbr-job" and td["memory"] == 2048
    # moto ignores the launch type, network mode, CPU and roles: checked in the template.
    p = props(template, "JobTaskDefinition")
    assert p["RequiresCompatibilities"] == ["FARGATE"] and p["NetworkMode"] == "awsvpc"
    assert p["TaskRoleArn"] == {"Fn::GetAtt": ["JobTaskRole", "Arn"]}
    assert p["ExecutionRoleArn"] == {"Fn::GetAtt": ["JobExecutionRole", "Arn"]}
    (c,) = td["containerDefinitions"]
    assert c["name"] == "futbr" and c["image"] == IMAGE
    assert c["readonlyRootFilesystem"] is True and c["user"] == "65532:65532"
    env = {e["name"]: e["value"] for e in c["environment"]}
    assert env["FUTBR_LAKE"] == f"s3://{outputs['BucketName']}"
    log = c["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-group"] == "/futbr/jobs"
    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/futbr/jobs")["logGroups"]
    assert groups and groups[0]["retentionInDays"] == 30


def test_job_task_role_reads_raw_and_writes_only_outputs(aws, stack):
    _, outputs = stack
    bucket = f"arn:aws:s3:::{outputs['BucketName']}"
    assert trust_principals(aws, "futbr-job-task") == ["ecs-tasks.amazonaws.com"]
    st = role_statements(aws, "futbr-job-task")
    for prefix in ["raw", "processed", "models", "runs", "quarantine"]:
        assert allowed(st, "s3:GetObject", f"{bucket}/{prefix}/x.csv"), prefix
        assert allowed(st, "s3:ListBucket", bucket, **{"s3:prefix": f"{prefix}/"}), prefix
    for prefix in ["processed", "models", "runs", "quarantine"]:
        assert allowed(st, "s3:PutObject", f"{bucket}/{prefix}/x"), prefix
    assert allowed(st, "s3:DeleteObject", f"{bucket}/runs/lock.json")
    # raw/ stays append-only for the jobs; nothing outside the lake's prefixes or bucket.
    assert not allowed(st, "s3:PutObject", f"{bucket}/raw/x.csv")
    assert not allowed(st, "s3:DeleteObject", f"{bucket}/raw/x.csv")
    assert not allowed(st, "s3:DeleteObject", f"{bucket}/models/champion.json")
    assert not allowed(st, "s3:PutObject", f"{bucket}/other/x")
    assert not allowed(st, "s3:ListBucket", bucket, **{"s3:prefix": ""})
    assert not allowed(st, "s3:GetObject", "arn:aws:s3:::someone-else/raw/x.csv")
    assert not allowed(st, "s3:DeleteBucket", bucket)
    assert not allowed(st, "s3:PutBucketPolicy", bucket)


def lake_prefixes():
    """Every top-level prefix of the lake layout as the code builds it (crates/lake/src/keys.rs):
    the jobs read all of them, so a new one (as config/ was) needs the role widened."""
    text = (ROOT / "crates/lake/src/keys.rs").read_text()
    keys = re.findall(r'pub const [A-Z_]+: &str = "([^"]+)";', text)
    assert len(keys) >= 8, keys
    return sorted({k.split("/")[0] for k in keys})


def test_job_task_role_reads_every_prefix_of_the_lake_layout(aws, stack):
    _, outputs = stack
    bucket = f"arn:aws:s3:::{outputs['BucketName']}"
    st = role_statements(aws, "futbr-job-task")
    prefixes = lake_prefixes()
    assert "config" in prefixes
    for prefix in prefixes:
        assert allowed(st, "s3:GetObject", f"{bucket}/{prefix}/x"), prefix
        assert allowed(st, "s3:ListBucket", bucket, **{"s3:prefix": f"{prefix}/"}), prefix
    assert not allowed(st, "s3:PutObject", f"{bucket}/config/clubs.csv")


def test_job_execution_role_only_pulls_and_logs(aws, stack):
    st = role_statements(aws, "futbr-job-execution")
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/futbr"
    assert allowed(st, "ecr:BatchGetImage", repo)
    assert not allowed(st, "ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other")
    assert not allowed(st, "ecr:PutImage", repo)
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/futbr/jobs:log-stream:job/futbr/0123"
    assert allowed(st, "logs:PutLogEvents", group)
    assert allowed(st, "logs:CreateLogStream", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/futbr/jobs:*")
    assert not allowed(st, "logs:PutLogEvents", group.replace("/futbr/jobs", "/other"))
    assert not allowed(st, "logs:DeleteLogGroup", group)
    assert not allowed(st, "s3:GetObject", "arn:aws:s3:::futbr-lake/raw/x")


def test_state_machine_chains_process_train_promote_with_retry_and_catch(aws, stack, template):
    resources, outputs = stack
    sm = aws("stepfunctions").describe_state_machine(stateMachineArn=outputs["StateMachineArn"])
    assert sm["roleArn"].endswith(":role/futbr-loop-states")
    definition = json.loads(sm["definition"])
    states = definition["States"]
    order, name = [], definition["StartAt"]
    while True:
        order.append(name)
        state = states[name]
        if state.get("End"):
            break
        name = state["Next"]
    assert order == ["Process", "Train", "Promote"]
    for step in order:
        s = states[step]
        assert s["Resource"] == "arn:aws:states:::ecs:runTask.sync"
        command = s["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command.$"]
        # Every step of one execution adds itself to the run record runs/<execution name>.json.
        assert command == (
            f"States.Array('{step.lower()}', '--trigger-key', $.detail.object.key, "
            "'--run-id', $$.Execution.Name)"
        )
        assert s["Parameters"]["TaskDefinition"] == "${TaskDefinitionArn}"
        assert s["Parameters"]["Cluster"] == "${ClusterArn}"
        (retry,) = s["Retry"]
        assert "States.TaskFailed" in retry["ErrorEquals"]
        assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 1
        (catch,) = s["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        failed = states[catch["Next"]]
        assert failed["Type"] == "Fail"
        assert failed["ErrorPath"] == catch["ResultPath"] + ".Error"
        assert failed["CausePath"] == catch["ResultPath"] + ".Cause"
    # moto stores the definition without DefinitionSubstitutions: they are checked in the template.
    placeholders = {
        word.split("}")[0] for word in sm["definition"].split("${")[1:]
    }
    subs = props(template, "LoopStateMachine")["DefinitionSubstitutions"]
    assert placeholders == set(subs)
    assert subs["TaskDefinitionArn"] == {"Ref": "JobTaskDefinition"}
    assert subs["ClusterArn"] == {"Fn::GetAtt": ["JobCluster", "Arn"]}


def test_state_machine_role_runs_exactly_this_task_definition(aws, stack):
    resources, _ = stack
    st = role_statements(aws, "futbr-loop-states")
    task_def = resources["JobTaskDefinition"]["PhysicalResourceId"]
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/futbr-jobs"
    assert allowed(st, "ecs:RunTask", task_def, **{"ecs:cluster": cluster})
    assert not allowed(st, "ecs:RunTask", task_def, **{"ecs:cluster": cluster + "-other"})
    other = task_def.rsplit(":", 1)[0].replace("futbr-job", "other-job") + ":1"
    assert not allowed(st, "ecs:RunTask", other, **{"ecs:cluster": cluster})
    task = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/futbr-jobs/abc"
    assert allowed(st, "ecs:DescribeTasks", task) and allowed(st, "ecs:StopTask", task)
    ecs_tasks = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    for role in ["futbr-job-task", "futbr-job-execution"]:
        assert allowed(st, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{role}", **ecs_tasks)
    assert not allowed(st, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/futbr-api-instance", **ecs_tasks)
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/StepFunctionsGetEventsForECSTaskRule"
    for action in ["events:PutTargets", "events:PutRule", "events:DescribeRule"]:
        assert allowed(st, action, rule)
    assert not allowed(st, "events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other")
    assert not allowed(st, "s3:GetObject", "arn:aws:s3:::futbr-lake/raw/x")
    assert len(st) == 4, "exactly: run, follow/stop, pass the roles, the .sync rule"


def test_rule_sends_new_raw_objects_to_the_state_machine(aws, stack):
    _, outputs = stack
    events = aws("events")
    rule = events.describe_rule(Name="futbr-raw-object-created")
    assert rule["State"] == "ENABLED"
    pattern = json.loads(rule["EventPattern"])
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [outputs["BucketName"]]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "raw/"}]
    (target,) = events.list_targets_by_rule(Rule="futbr-raw-object-created")["Targets"]
    assert target["Arn"] == outputs["StateMachineArn"]
    assert target["RoleArn"].endswith(":role/futbr-loop-trigger")
    st = role_statements(aws, "futbr-loop-trigger")
    assert allowed(st, "states:StartExecution", outputs["StateMachineArn"])
    assert not allowed(st, "states:StartExecution", outputs["StateMachineArn"] + "-other")
    assert trust_principals(aws, "futbr-loop-trigger") == ["events.amazonaws.com"]


def test_api_instance_role_only_reads_what_it_serves(aws, stack):
    _, outputs = stack
    bucket = f"arn:aws:s3:::{outputs['BucketName']}"
    assert trust_principals(aws, "futbr-api-instance") == ["ecs-tasks.amazonaws.com"]
    st = role_statements(aws, "futbr-api-instance")
    for prefix in ["models", "processed", "runs", "config"]:
        assert allowed(st, "s3:GetObject", f"{bucket}/{prefix}/x")
        assert allowed(st, "s3:ListBucket", bucket, **{"s3:prefix": f"{prefix}/"})
    assert not allowed(st, "s3:GetObject", f"{bucket}/raw/x.csv")
    assert not allowed(st, "s3:GetObject", f"{bucket}/quarantine/x")
    for prefix in ["raw", "models", "processed", "runs"]:
        assert not allowed(st, "s3:PutObject", f"{bucket}/{prefix}/x")
        assert not allowed(st, "s3:DeleteObject", f"{bucket}/{prefix}/x")
    assert not allowed(st, "secretsmanager:GetSecretValue", "*")


def test_admin_uploads_add_raw_writes_and_the_token_only(aws, admin_stack):
    _, outputs = admin_stack
    bucket = f"arn:aws:s3:::{outputs['BucketName']}"
    st = role_statements(aws, "futbradmin-api-instance")
    assert allowed(st, "s3:PutObject", f"{bucket}/raw/new.csv")
    assert allowed(st, "s3:ListBucket", bucket, **{"s3:prefix": "raw/"})
    assert not allowed(st, "s3:PutObject", f"{bucket}/models/champion.json")
    assert not allowed(st, "s3:DeleteObject", f"{bucket}/raw/new.csv")
    # On ECS Express the execution role hands the token to the container; the task role never
    # reads it. moto does not create the secret: its resource is checked in the template.
    assert not [x for x in st if x and x.get("Sid") == "ReadAdminToken"]
    execution = role_statements(aws, "futbradmin-api-execution")
    (read_token,) = [x for x in execution if x and x.get("Sid") == "ReadAdminToken"]
    assert read_token["Action"] == "secretsmanager:GetSecretValue"


def test_api_execution_role_only_pulls_this_image_and_writes_the_api_logs(aws, stack):
    _, outputs = stack
    st = role_statements(aws, "futbr-api-execution")
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/futbr"
    assert allowed(st, "ecr:BatchGetImage", repo)
    assert not allowed(st, "ecr:BatchGetImage", repo + "-other")
    assert not allowed(st, "ecr:PutImage", repo)
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/futbr/api:log-stream:api/x"
    assert allowed(st, "logs:PutLogEvents", logs)
    assert not allowed(st, "logs:PutLogEvents", logs.replace("/futbr/api", "/futbr/jobs"))
    assert not allowed(st, "secretsmanager:GetSecretValue", "*")
    assert not allowed(st, "s3:GetObject", f"arn:aws:s3:::{outputs['BucketName']}/models/x")
    assert trust_principals(aws, "futbr-api-execution") == ["ecs-tasks.amazonaws.com"]


def test_api_infrastructure_role_carries_only_the_express_mode_policy(aws, stack, template):
    iam = aws("iam")
    assert iam.list_role_policies(RoleName="futbr-api-infrastructure")["PolicyNames"] == []
    assert trust_principals(aws, "futbr-api-infrastructure") == ["ecs.amazonaws.com"]
    # moto does not attach AWS-managed policies it does not know: checked in the template.
    arns = props(template, "ApiInfrastructureRole")["ManagedPolicyArns"]
    assert arns == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
            "AmazonECSInfrastructureRoleforExpressGatewayServices"
        }
    ]


def test_app_runner_runtime_creates_no_express_resources(aws, app_runner_stack):
    resources, _ = app_runner_stack
    assert "ApiInstanceRole" in resources and "ApiAccessRole" in resources
    assert not {"ApiLogGroup", "ApiExecutionRole", "ApiInfrastructureRole"} & set(resources)
    assert trust_principals(aws, "futbrar-api-instance") == ["tasks.apprunner.amazonaws.com"]
    st = role_statements(aws, "futbrar-api-instance")
    # App Runner reads RuntimeEnvironmentSecrets as the instance role.
    (read_token,) = [x for x in st if x and x.get("Sid") == "ReadAdminToken"]
    assert read_token["Action"] == "secretsmanager:GetSecretValue"


def test_admin_token_secret_in_template(template):
    secret = template["Resources"]["AdminTokenSecret"]
    assert secret["Condition"] == "WithAdmin"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    for role, condition in [
        ("ApiInstanceRole", "WithAdminAppRunnerApi"),
        ("ApiExecutionRole", "WithAdminExpressApi"),
    ]:
        statements = props(template, role)["Policies"][0]["PolicyDocument"]["Statement"]
        (read,) = [
            s["Fn::If"] for s in statements if "Fn::If" in s and s["Fn::If"][1]["Sid"] == "ReadAdminToken"
        ]
        assert read[0] == condition, role
        assert read[1]["Resource"] == {"Ref": "AdminTokenSecret"}


def test_app_runner_service_in_template(template):
    # moto's CloudFormation skips AWS::AppRunner::*: checked in the template.
    p = props(template, "ApiService")
    assert template["Resources"]["ApiService"]["Condition"] == "WithAppRunnerApi"
    assert p["HealthCheckConfiguration"]["Path"] == "/ready"
    assert p["HealthCheckConfiguration"]["Protocol"] == "HTTP"
    image = p["SourceConfiguration"]["ImageRepository"]
    assert image["ImageIdentifier"] == {"Ref": "ImageUri"}
    assert image["ImageRepositoryType"] == "ECR"
    env = {e["Name"]: e["Value"] for e in image["ImageConfiguration"]["RuntimeEnvironmentVariables"]}
    assert env["FUTBR_LAKE"] == {"Fn::Sub": "s3://${LakeBucket}"}
    assert "StartCommand" not in image["ImageConfiguration"], "the image's default: serve --no-watch"
    assert p["InstanceConfiguration"]["InstanceRoleArn"] == {"Fn::GetAtt": ["ApiInstanceRole", "Arn"]}
    access = p["SourceConfiguration"]["AuthenticationConfiguration"]["AccessRoleArn"]
    assert access == {"Fn::GetAtt": ["ApiAccessRole", "Arn"]}
    secrets = image["ImageConfiguration"]["RuntimeEnvironmentSecrets"]
    assert secrets["Fn::If"][0] == "WithAdminAppRunnerApi"
    assert secrets["Fn::If"][1][0]["Name"] == "FUTBR_ADMIN_TOKEN"
    outputs = template["Outputs"]
    assert outputs["ApiUrl"]["Value"]["Fn::If"][0] == "WithAppRunnerApi"
    assert outputs["ApiUrl"]["Value"]["Fn::If"][1] == {"Fn::Sub": "https://${ApiService.ServiceUrl}"}


def test_ecs_express_service_in_template(template):
    # moto's CloudFormation skips AWS::ECS::ExpressGatewayService: checked in the template.
    resource = template["Resources"]["ApiExpressService"]
    assert resource["Type"] == "AWS::ECS::ExpressGatewayService"
    assert resource["Condition"] == "WithExpressApi"
    assert template["Parameters"]["ApiRuntime"]["Default"] == "ecs-express"
    p = resource["Properties"]
    assert p["HealthCheckPath"] == "/ready"
    assert p["ExecutionRoleArn"] == {"Fn::GetAtt": ["ApiExecutionRole", "Arn"]}
    assert p["InfrastructureRoleArn"] == {"Fn::GetAtt": ["ApiInfrastructureRole", "Arn"]}
    assert p["TaskRoleArn"] == {"Fn::GetAtt": ["ApiInstanceRole", "Arn"]}
    assert p["Cluster"] == {"Ref": "JobCluster"}
    assert p["NetworkConfiguration"]["Subnets"] == [{"Ref": "JobSubnetA"}, {"Ref": "JobSubnetB"}]
    assert p["ScalingTarget"]["MinTaskCount"] == 1
    assert p["ScalingTarget"]["MaxTaskCount"] == {"Ref": "ApiMaxInstances"}
    container = p["PrimaryContainer"]
    assert container["Image"] == {"Ref": "ImageUri"}
    assert "Command" not in container, "the image's default: serve --no-watch"
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["PORT"] == str(container["ContainerPort"]) == "8080"
    assert env["FUTBR_LAKE"] == {"Fn::Sub": "s3://${LakeBucket}"}
    assert container["AwsLogsConfiguration"]["LogGroup"] == {"Ref": "ApiLogGroup"}
    secrets = container["Secrets"]["Fn::If"]
    assert secrets[0] == "WithAdminExpressApi"
    assert secrets[1] == [{"Name": "FUTBR_ADMIN_TOKEN", "ValueFrom": {"Ref": "AdminTokenSecret"}}]
    express_url = template["Outputs"]["ApiUrl"]["Value"]["Fn::If"][2]["Fn::If"]
    assert express_url[0] == "WithExpressApi"
    assert express_url[1] == {"Fn::GetAtt": ["ApiExpressService", "Endpoint"]}


def test_dockerfile_default_command_serves_and_jobs_override_it():
    dockerfile = (HERE.parent / "Dockerfile").read_text()
    assert 'CMD ["serve", "--no-watch"]' in dockerfile
    assert 'ENTRYPOINT ["/usr/local/bin/futbr"]' in dockerfile
    assert "USER 65532:65532" in dockerfile


def test_teardown_empties_the_versioned_bucket_deletes_images_and_the_stack(aws, moto_url, template):
    # moto cannot delete the stack's network (it leaves the gateway attachment, the S3 endpoint
    # and the route table, so the VPC "has dependencies"): teardown.sh is rehearsed on a stack of
    # the template's bucket and image repository, the two things it must empty itself.
    name = "futbrgone"
    body = {
        "AWSTemplateFormatVersion": template["AWSTemplateFormatVersion"],
        "Parameters": template["Parameters"],
        "Resources": {k: template["Resources"][k] for k in ["LakeBucket", "ImageRepository"]},
        "Outputs": {"BucketName": template["Outputs"]["BucketName"]},
    }
    _, outputs = create_stack(aws, name, body=json.dumps(body), DeployApi="false")
    bucket = outputs["BucketName"]
    s3 = aws("s3")
    # moto ignores the template's versioning: turn it on, then leave old versions and a marker.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key="models/champion.json", Body=f"v{i}".encode())
    s3.put_object(Bucket=bucket, Key="raw/a.csv", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="raw/a.csv")
    listing = s3.list_object_versions(Bucket=bucket)
    assert len(listing["Versions"]) == 4 and len(listing["DeleteMarkers"]) == 1
    ecr = aws("ecr")
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {},
        "layers": [],
    })
    ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="t1")
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
    )
    run = subprocess.run(
        ["bash", str(HERE.parent / "teardown.sh"), "--project", name, "--region", REGION],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode != 0 and "pass --yes" in run.stderr, "asks before destroying"
    assert s3.list_object_versions(Bucket=bucket)["Versions"]
    run = subprocess.run(
        ["bash", str(HERE.parent / "teardown.sh"), "--project", name, "--region", REGION, "--yes"],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket not in names
    stacks = aws("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"] == name)
    repos = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    assert name not in repos


def _docker_ignored(path, patterns):
    """Whether .dockerignore's patterns (Go filepath.Match, `**` for any depth) drop `path`
    or one of its parent folders; `!` exceptions are not used by this project's file."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(
                candidate.split("/")[-1], pattern[3:]
            ):
                return True
    return False


def test_docker_context_keeps_every_file_the_build_embeds():
    import re

    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns)
    embedded = []
    for source in list((ROOT / "src").rglob("*.rs")) + list((ROOT / "crates").rglob("src/**/*.rs")):
        for rel in re.findall(r'include_(?:str|bytes)!\(\s*"([^"]+)"', source.read_text()):
            target = (source.parent / rel).resolve().relative_to(ROOT)
            embedded.append(str(target))
    for path in embedded + ["Cargo.toml", "Cargo.lock", "src/main.rs", "crates/server/Cargo.toml"]:
        assert (ROOT / path).exists(), path
        assert not _docker_ignored(path, patterns), f".dockerignore drops {path}"
    assert _docker_ignored("target/release/futbr", patterns)
    assert _docker_ignored("lake/raw/x.csv", patterns)
