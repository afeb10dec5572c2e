#!/usr/bin/env bash
# Remove everything deploy.sh created: stop the loop, empty the versioned lake bucket (every old
# version and delete marker included, or CloudFormation cannot delete it), delete the images, then
# delete the stack. Asks before destroying anything unless --yes.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/aws/teardown.sh [options]
  --project NAME    the project name given to deploy.sh [futbr]
  --region REGION   AWS region [AWS_REGION, else the CLI's configured region]
  --yes             do not ask (for scripts); without it, a terminal must confirm
  -h, --help        this help
USAGE
}

project=futbr
region=${AWS_REGION:-}
yes=false
while [ $# -gt 0 ]; do
  case "$1" in
    --project) project=${2:?--project needs a value}; shift 2 ;;
    --region) region=${2:?--region needs a value}; shift 2 ;;
    --yes) yes=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "teardown.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

command -v aws >/dev/null || { echo "teardown.sh: the AWS CLI is required" >&2; exit 1; }
if [ -z "$region" ]; then
  region=$(aws configure get region || true)
fi
[ -n "$region" ] || { echo "teardown.sh: no region: pass --region or set AWS_REGION" >&2; exit 1; }
export AWS_REGION=$region AWS_DEFAULT_REGION=$region

stack="$project"
account=$(aws sts get-caller-identity --query Account --output text)
# The names stack.yaml gives; they hold even when the stack is half gone.
bucket="$project-lake-$account-$region"
repository="$project"
state_machine="arn:aws:states:$region:$account:stateMachine:$project-loop"

stack_exists() { aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; }
bucket_exists() { aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; }

if [ "$yes" != true ]; then
  if [ ! -t 0 ]; then
    echo "teardown.sh: not a terminal; pass --yes to destroy without asking" >&2
    exit 1
  fi
  echo "This deletes, in account $account, region $region:"
  echo "  - stack $stack and everything in it (API, jobs, state machine, roles, network)"
  echo "  - bucket s3://$bucket with every object, old version and delete marker (the lake: data, models, runs)"
  echo "  - every image in the ECR repository $repository"
  read -r -p "Type the project name ($project) to confirm: " answer
  [ "$answer" = "$project" ] || { echo "teardown.sh: not confirmed; nothing deleted"; exit 1; }
fi

# 1. No new run may start or write while the bucket is emptied.
aws events disable-rule --name "$project-raw-object-created" >/dev/null 2>&1 || true
for execution in $(aws stepfunctions list-executions --state-machine-arn "$state_machine" \
  --status-filter RUNNING --query 'executions[].executionArn' --output text 2>/dev/null || true); do
  echo "==> stopping $execution"
  aws stepfunctions stop-execution --execution-arn "$execution" --cause "teardown.sh" >/dev/null
done

# 2. Empty the versioned bucket: versions and delete markers, at most 1000 keys per request (500 per batch here).
empty_bucket() {
  local kind batch
  for kind in Versions DeleteMarkers; do
    while true; do
      batch=$(aws s3api list-object-versions --bucket "$bucket" --max-items 500 \
        --query "{Objects: ${kind}[].{Key: Key, VersionId: VersionId}, Quiet: \`true\`}" --output json)
      case "$batch" in *'"Objects": null'* | *'"Objects": []'*) break ;; esac
      aws s3api delete-objects --bucket "$bucket" --delete "$batch" >/dev/null
    done
  done
}
if bucket_exists; then
  echo "==> emptying s3://$bucket (all versions and delete markers)"
  empty_bucket
fi

# 3. The images (the repository also empties itself on delete; this keeps that explicit).
while true; do
  ids=$(aws ecr list-images --repository-name "$repository" --max-items 100 \
    --query 'imageIds' --output json 2>/dev/null || echo '[]')
  case "$ids" in '[]' | 'null' | '') break ;; esac
  echo "==> deleting images from $repository"
  aws ecr batch-delete-image --repository-name "$repository" --image-ids "$ids" >/dev/null
done

# 4. The stack. A run that slipped in may have written again: empty once more and retry once.
if stack_exists; then
  echo "==> deleting stack $stack"
  aws cloudformation delete-stack --stack-name "$stack"
  if ! aws cloudformation wait stack-delete-complete --stack-name "$stack"; then
    if bucket_exists; then
      empty_bucket
    fi
    aws cloudformation delete-stack --stack-name "$stack"
    aws cloudformation wait stack-delete-complete --stack-name "$stack"
  fi
fi
# A deleted secret is kept for days by default and would block the name on the next deploy.
aws secretsmanager delete-secret --secret-id "$project/admin-token" \
  --force-delete-without-recovery >/dev/null 2>&1 || true
if bucket_exists; then
  # Left behind by a stack deleted earlier with the bucket retained, or never in a stack.
  empty_bucket
  aws s3api delete-bucket --bucket "$bucket"
fi
echo "Done: stack $stack, bucket $bucket and the images of $repository are gone."
