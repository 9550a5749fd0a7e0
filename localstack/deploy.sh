#!/usr/bin/env bash
# Deploy serverless.yml, unchanged, to a running LocalStack as stage "local" (npm run
# localstack:deploy). Start LocalStack first: (cd localstack && docker compose up -d).
# Extra arguments go to `serverless deploy` (e.g. --verbose, --param="...").
set -euo pipefail
cd "$(dirname "$0")/.."

REGION="${AWS_REGION:-us-east-1}"
# osls talks to AWS through AWS SDK v3 clients, which honour AWS_ENDPOINT_URL and the
# per-service AWS_ENDPOINT_URL_<SERVICE> variables. S3 uses virtual-hosted addressing
# (bucket.s3.<host>), so it gets LocalStack's wildcard name that resolves to 127.0.0.1.
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:4566}"
# LocalStack accepts any credentials; never use real ones here.
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
# The metric accounts: LocalStack's CloudWatch (localstack/accounts.yaml), unless given.
if [ -z "${CANARIA_ACCOUNTS:-}" ]; then
  CANARIA_ACCOUNTS="$(cat localstack/accounts.yaml)"
  export CANARIA_ACCOUNTS
fi

if ! curl -fsS "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null; then
  echo "LocalStack is not reachable at $AWS_ENDPOINT_URL; start it with: (cd localstack && docker compose up -d)" >&2
  exit 1
fi

STAGE="${CANARIA_LOCALSTACK_STAGE:-local}"
npx serverless deploy --stage "$STAGE" --region "$REGION" "$@"

info="$(npx serverless info --stage "$STAGE" --region "$REGION" --verbose 2>&1)"
echo "$info"
api_id="$(printf '%s\n' "$info" | awk '$1 == "HttpApiId:" { print $2 }')"
if [ -n "$api_id" ]; then
  echo
  echo "canaria API on LocalStack: http://${api_id}.execute-api.localhost.localstack.cloud:4566"
  echo "  try: curl http://${api_id}.execute-api.localhost.localstack.cloud:4566/health"
  echo "  then: npm run localstack:smoke (one analysis through the API)"
fi
