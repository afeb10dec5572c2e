#!/usr/bin/env bash
# Deploy Predictor Fut BR to AWS (docs/aws.md walks through it):
#   1. create the stack without the API (bucket, image repository, jobs, state machine, trigger),
#   2. build the image and push it to the stack's repository,
#   3. upload the bootstrap data to raw/ (the EventBridge rule starts the loop) and wait for that
#      first run, so a champion exists,
#   4. turn the API on (ECS Express Mode by default, App Runner on request; it only takes traffic
#      once /ready passes) and print its URL.
# Run again after a code change: it pushes a new image and updates the stack; the API keeps serving
# the champion in the lake, so there is nothing to retrain.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/aws/deploy.sh [options]
  --project NAME      resource name prefix and stack name suffix [futbr]
  --region REGION     AWS region [AWS_REGION, else the CLI's configured region]
  --bootstrap FILE    match CSV to start the lake with [the pinned public data set, SHA-256 checked]
  --admin-uploads     give the API an admin token and the right to add files under raw/
  --api-runtime R     where the API runs: ecs-express (ECS Express Mode) or app-runner (for
                      accounts that already use App Runner, closed to new customers)
                      [the existing stack's; ecs-express for a new stack]
  --no-api            deploy the loop only (no API service; see docs/aws.md)
  --tag TAG           image tag [git commit + UTC time]
  -h, --help          this help
USAGE
}

project=futbr
region=${AWS_REGION:-}
bootstrap=
admin=false
api=true
runtime=
tag=
while [ $# -gt 0 ]; do
  case "$1" in
    --project) project=${2:?--project needs a value}; shift 2 ;;
    --region) region=${2:?--region needs a value}; shift 2 ;;
    --bootstrap) bootstrap=${2:?--bootstrap needs a file}; shift 2 ;;
    --admin-uploads) admin=true; shift ;;
    --api-runtime) runtime=${2:?--api-runtime needs ecs-express or app-runner}; shift 2 ;;
    --no-api) api=false; shift ;;
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

case "$runtime" in
  "" | ecs-express | app-runner) ;;
  *) echo "deploy.sh: --api-runtime must be ecs-express or app-runner, not $runtime" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/deploy/aws"
for tool in aws docker git curl sha256sum; do
  command -v "$tool" >/dev/null || { echo "deploy.sh: $tool is required (docs/aws.md, step 1)" >&2; exit 1; }
done
if [ -z "$region" ]; then
  region=$(aws configure get region || true)
fi
[ -n "$region" ] || { echo "deploy.sh: no region: pass --region or set AWS_REGION" >&2; exit 1; }
export AWS_REGION=$region AWS_DEFAULT_REGION=$region

stack="$project"
account=$(aws sts get-caller-identity --query Account --output text)
registry="$account.dkr.ecr.$region.amazonaws.com"
[ -n "$tag" ] || tag="$(git -C "$root" rev-parse --short=12 HEAD)-$(date -u +%Y%m%d%H%M%S)"
image="$registry/$project:$tag"
echo "==> account $account, region $region, stack $stack, image $image"

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

deploy_stack() { # $1: DeployApi
  aws cloudformation deploy \
    --stack-name "$stack" \
    --template-file "$here/stack.yaml" \
    --capabilities CAPABILITY_NAMED_IAM \
    --no-fail-on-empty-changeset \
    --parameter-overrides \
      "ProjectName=$project" "ImageUri=$image" "DeployApi=$1" "EnableAdminUploads=$admin" \
      "ApiRuntime=$runtime"
}

push_image() {
  echo "==> building the image (release profile, no debug info)"
  docker build --platform linux/amd64 -f "$here/Dockerfile" -t "$image" "$root"
  aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
  docker push "$image"
}

if [ -z "$runtime" ]; then
  # A redeploy keeps the runtime the stack has (a stack from before the choice existed ran App
  # Runner); switching is explicit, since it gives the API a new URL.
  if aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
    runtime=$(aws cloudformation describe-stacks --stack-name "$stack" \
      --query "Stacks[0].Parameters[?ParameterKey=='ApiRuntime'].ParameterValue" --output text)
    case "$runtime" in ecs-express | app-runner) ;; *) runtime=app-runner ;; esac
  else
    runtime=ecs-express
  fi
fi

if ! aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
  echo "==> creating the stack without the API (the image repository must exist before the push)"
  deploy_stack false
  push_image
else
  # The repository exists: push first, so the stack update never points at a missing image.
  push_image
fi

bucket=$(output BucketName)
state_machine=$(output StateMachineArn)

# The API goes live only with a champion to serve, so the loop must have run once. Decided by the
# champion, not by raw/: a first deploy whose run failed leaves raw/ filled and no champion, and
# running deploy.sh again must retry that run.
latest() {
  aws stepfunctions list-executions --state-machine-arn "$state_machine" --max-results 1 \
    --query 'executions[0].executionArn' --output text
}
wait_for_run() { # $1: execution ARN
  echo "    execution $1"
  status=RUNNING
  for _ in $(seq 1 180); do
    status=$(aws stepfunctions describe-execution --execution-arn "$1" --query status --output text)
    [ "$status" = RUNNING ] || break
    sleep 10
  done
  if [ "$status" != SUCCEEDED ]; then
    echo "deploy.sh: the first run ended $status:" >&2
    aws stepfunctions describe-execution --execution-arn "$1" --query '[error, cause]' --output text >&2 || true
    echo "logs: aws logs tail /$project/jobs --since 1h; fix the cause and run deploy.sh again" >&2
    exit 1
  fi
  echo "    the first champion is in s3://$bucket/models/champion.json"
}
# shellcheck disable=SC2016 # the backquotes are a JMESPath literal, not a shell expansion
newest_raw=$(aws s3api list-objects-v2 --bucket "$bucket" --prefix raw/ \
  --query 'sort_by(Contents || `[]`, &LastModified)[-1].Key' --output text | grep -v '^None$' || true)
if aws s3api head-object --bucket "$bucket" --key models/champion.json >/dev/null 2>&1; then
  [ -z "$bootstrap" ] || echo "==> a champion exists; --bootstrap $bootstrap is not used"
elif [ -z "$newest_raw" ]; then
  if [ -z "$bootstrap" ]; then
    source_url=$(sed -n 's/^pub const DEFAULT_SOURCE: &str = "\(.*\)";$/\1/p' "$root/crates/pipeline/src/bootstrap.rs")
    sha=$(sed -n 's/^pub const DEFAULT_SHA256: &str = "\(.*\)";$/\1/p' "$root/crates/pipeline/src/bootstrap.rs")
    if [ -z "$source_url" ] || [ -z "$sha" ]; then
      echo "deploy.sh: cannot read the pinned data set from crates/pipeline/src/bootstrap.rs; pass --bootstrap FILE" >&2
      exit 1
    fi
    bootstrap="$(mktemp -d)/$(basename "$source_url")"
    echo "==> downloading the pinned data set $source_url"
    curl -fsSL --retry 3 -o "$bootstrap" "$source_url"
    echo "$sha  $bootstrap" | sha256sum -c --quiet - || { echo "deploy.sh: $source_url does not match its pinned SHA-256" >&2; exit 1; }
  fi
  [ -f "$bootstrap" ] || { echo "deploy.sh: bootstrap file $bootstrap not found" >&2; exit 1; }
  before=$(latest)
  echo "==> uploading $bootstrap to s3://$bucket/raw/ (starts the loop)"
  aws s3 cp "$bootstrap" "s3://$bucket/raw/$(basename "$bootstrap")"

  echo "==> waiting for the first run (process, train, promote; ~5-10 minutes with Fargate start-up)"
  execution=
  for _ in $(seq 1 60); do
    execution=$(latest)
    [ "$execution" != "$before" ] && [ "$execution" != None ] && [ -n "$execution" ] && break
    execution=
    sleep 5
  done
  [ -n "$execution" ] || { echo "deploy.sh: no execution started within 5 minutes of the upload; check the rule $project-raw-object-created" >&2; exit 1; }
  wait_for_run "$execution"
else
  [ -z "$bootstrap" ] || echo "==> raw/ already holds data; --bootstrap $bootstrap is not used"
  # raw/ has data but no run has promoted a champion (an earlier first run failed): run the loop
  # again for the newest object, with the input an EventBridge event would give.
  key_json=$(printf '%s' "$newest_raw" | sed 's/\\/\\\\/g; s/"/\\"/g')
  echo "==> no champion yet: running the loop for $newest_raw (~5-10 minutes)"
  execution=$(aws stepfunctions start-execution --state-machine-arn "$state_machine" \
    --input "{\"detail\":{\"object\":{\"key\":\"$key_json\"}}}" --query executionArn --output text)
  wait_for_run "$execution"
fi

echo "==> deploying the stack with the API=$api ($runtime)"
deploy_stack "$api"
url=$(output ApiUrl)
# App Runner's URL is given with its scheme; ECS Express's endpoint may come as a bare host name.
case "$url" in
  https://* | "not deployed"*) ;;
  *) url="https://$url" ;;
esac
echo
echo "Lake:          s3://$bucket"
echo "State machine: $state_machine"
echo "API:           $url"
if [ "$api" = true ]; then
  echo "Try:           curl '$url/v1/predict?home=Flamengo&away=Palmeiras'"
fi
