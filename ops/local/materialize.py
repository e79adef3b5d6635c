"""Create, for real, the resources the program declares that handlers touch at run time:
tables (on DynamoDB Local or moto), buckets and their objects, secrets, parameters, SES
identities and configuration sets, topics and the functions subscribed to them, SMS preferences.
Local mode calls it as each resource is declared; tests replay a recorded graph through it.

Everything is created with the physical names the program chose, so the environment Pulumi
gave each function works unchanged.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import boto3

ClientFactory = Callable[[str], Any]
# aws:sns/smsPreferences:SmsPreferences's inputs → SNS's SMS attribute names.
SMS_ATTRIBUTES = {
    "monthlySpendLimit": "MonthlySpendLimit", "defaultSmsType": "DefaultSMSType", "defaultSenderId": "DefaultSenderID",
    "deliveryStatusIamRoleArn": "DeliveryStatusIAMRole", "deliveryStatusSuccessSamplingRate": "DeliveryStatusSuccessSamplingRate",
    "usageReportS3Bucket": "UsageReportS3Bucket",
}
ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=None)
def _client(service: str) -> Any:
    """One client per service and process, made on first use (making one costs ~40 ms)."""
    return _session().client(service)


@lru_cache(maxsize=1)
def _session() -> boto3.session.Session:
    return boto3.session.Session()


def table_request(inputs: dict) -> dict:
    """CreateTable arguments for a `aws:dynamodb/table:Table`'s inputs."""
    keys = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": inputs["name"],
        "KeySchema": keys,
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]],
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = inputs.get("globalSecondaryIndexes") or []
    if indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index["name"],
                "KeySchema": [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]],
                "Projection": {"ProjectionType": index.get("projectionType", "ALL")},
            }
            for index in indexes
        ]
    if inputs.get("streamEnabled"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}
    return request


def load_generated(path: Path) -> dict[str, str]:
    """Values an earlier --persist run kept (none yet: empty). A file an older version wrote
    with the default mode is made this user's only."""
    if not path.exists():
        return {}
    os.chmod(path, 0o600)
    return json.loads(path.read_text())


def save_generated(path: Path, values: dict[str, str]) -> None:
    """Keep generated values for the next --persist run: readable by this user only (0600),
    written whole to a temporary file first, so a stop mid-write never leaves half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out, indent=1, sort_keys=True)
    os.replace(partial, path)


class Materializer:
    def __init__(self, client: ClientFactory | None = None, generate_secrets: bool = False, local_port: int | None = None,
                 kept_secrets: Path | None = None):
        """`local_port`: sites are served at <site>.localhost:<port> (local mode), not CloudFront.

        `generate_secrets`: each `random:` resource (the session-signing key, the crew-link key,
        ...) gets a fresh random result. With `kept_secrets` (local mode's --persist) the result is
        kept in that file under the resource's name and the same value comes back next run, so what
        one run signed (staff sessions, crew and member links) still verifies in the next.
        """
        self.local_port = local_port
        self._factory = client or _client
        self._clients: dict[str, Any] = {}
        self.generate_secrets = generate_secrets
        self.kept_secrets = Path(kept_secrets) if kept_secrets is not None else None
        self._generated = load_generated(self.kept_secrets) if self.kept_secrets is not None else {}
        self._generated_lock = threading.Lock()  # the SDK registers resources from a thread pool
        self.tables: list[str] = []
        self.buckets: list[str] = []
        self.replaced_ids: dict[str, str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._factory(service)
        return self._clients[service]

    def __call__(self, typ: str, name: str, inputs: dict, outputs: dict) -> dict | None:
        handler = getattr(self, "_" + typ.split(":")[-1].replace("/", "_"), None)
        if typ.startswith("random:") and self.generate_secrets:
            return {"result": self._random_result(name)}
        return handler(name, inputs, outputs) if handler and typ.startswith("aws:") else None

    def _random_result(self, name: str) -> str:
        with self._generated_lock:
            if name not in self._generated:
                self._generated[name] = secrets.token_urlsafe(36)
                if self.kept_secrets is not None:
                    save_generated(self.kept_secrets, self._generated)
            return self._generated[name]

    def _Table(self, name: str, inputs: dict, outputs: dict) -> None:
        dynamodb = self.client("dynamodb")
        request = table_request(inputs)
        try:
            dynamodb.create_table(**request)
        except dynamodb.exceptions.ResourceInUseException:
            return  # persisted from an earlier run
        self.tables.append(request["TableName"])
        if (inputs.get("ttl") or {}).get("enabled"):
            dynamodb.update_time_to_live(
                TableName=request["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": inputs["ttl"]["attributeName"]},
            )

    def _TableItem(self, name: str, inputs: dict, outputs: dict) -> None:
        self.client("dynamodb").put_item(TableName=inputs["tableName"], Item=json.loads(inputs["item"]))

    def _Bucket(self, name: str, inputs: dict, outputs: dict) -> None:
        s3 = self.client("s3")
        try:
            s3.create_bucket(Bucket=inputs["bucket"], CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            pass
        self.buckets.append(inputs["bucket"])

    def _BucketObjectv2(self, name: str, inputs: dict, outputs: dict) -> None:
        source = inputs.get("source")
        path = Path(source.path) if source is not None else None
        if path is not None and not path.is_absolute():
            path = ROOT / path  # relative to the project, as `pulumi up` reads it
        body = path.read_bytes() if path is not None else (inputs.get("content") or "").encode()
        extra = {k: inputs[v] for k, v in (("ContentType", "contentType"), ("CacheControl", "cacheControl")) if inputs.get(v)}
        self.client("s3").put_object(Bucket=inputs["bucket"], Key=inputs["key"], Body=body, Metadata=inputs.get("metadata") or {}, **extra)

    def _Parameter(self, name: str, inputs: dict, outputs: dict) -> None:
        value = str(inputs["value"])
        if self.local_port is not None and re.fullmatch(r"https://[a-z0-9-]+\.localhost:\d+", value):
            value = "http" + value.removeprefix("https")  # a site's address: local mode serves plain HTTP
        self.client("ssm").put_parameter(Name=inputs["name"], Value=value, Type=inputs.get("type", "String"), Overwrite=True)

    def _EmailIdentity(self, name: str, inputs: dict, outputs: dict) -> None:
        identity = inputs["emailIdentity"]
        self.client("sesv2").create_email_identity(EmailIdentity=identity)
        # moto's SES v1 backend is what checks senders: verify the domain there too.
        ses = self.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)

    def _ConfigurationSet(self, name: str, inputs: dict, outputs: dict) -> None:
        sesv2 = self.client("sesv2")
        try:
            sesv2.create_configuration_set(ConfigurationSetName=inputs["configurationSetName"])
        except sesv2.exceptions.AlreadyExistsException:
            pass

    def _Distribution(self, name: str, inputs: dict, outputs: dict) -> dict:
        """A stand-in distribution, so handlers can invalidate paths on it; local mode serves
        the site itself at <site>.localhost:<port>."""
        created = self.client("cloudfront").create_distribution(DistributionConfig={
            "CallerReference": f"{name}-{secrets.token_hex(4)}", "Comment": inputs.get("comment", name), "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "pages", "DomainName": f"{name}.s3.amazonaws.com",
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "pages", "ViewerProtocolPolicy": "https-only",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        })["Distribution"]
        made = {"__id__": created["Id"], "arn": created["ARN"]}
        if self.local_port is not None and not inputs.get("aliases"):
            made["domainName"] = f"{name}.localhost:{self.local_port}"
        return made

    def _UserPool(self, name: str, inputs: dict, outputs: dict) -> dict:
        """The staff user pool, on moto's cognito-idp (its id is moto's: `replaced_ids` maps it)."""
        policy = inputs.get("passwordPolicy") or {}
        pool = self.client("cognito-idp").create_user_pool(
            PoolName=inputs["name"],
            UsernameAttributes=inputs.get("usernameAttributes") or [],
            AutoVerifiedAttributes=inputs.get("autoVerifiedAttributes") or [],
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            Policies={"PasswordPolicy": {
                "MinimumLength": int(policy.get("minimumLength", 8)),
                **{key: bool(policy.get(field)) for key, field in (
                    ("RequireLowercase", "requireLowercase"), ("RequireUppercase", "requireUppercase"),
                    ("RequireNumbers", "requireNumbers"), ("RequireSymbols", "requireSymbols"))},
                "TemporaryPasswordValidityDays": int(policy.get("temporaryPasswordValidityDays", 7))}},
            Schema=[{"Name": a["name"], "AttributeDataType": a["attributeDataType"], "Required": bool(a.get("required")),
                     "Mutable": bool(a.get("mutable", True))} for a in inputs.get("schemas") or []],
        )["UserPool"]
        return {"__id__": pool["Id"], "arn": pool["Arn"]}

    def _UserPoolClient(self, name: str, inputs: dict, outputs: dict) -> dict:
        pool_id = self.replaced_ids.get(inputs["userPoolId"], inputs["userPoolId"])
        made = self.client("cognito-idp").create_user_pool_client(
            UserPoolId=pool_id, ClientName=inputs["name"], GenerateSecret=bool(inputs.get("generateSecret")),
            ExplicitAuthFlows=inputs.get("explicitAuthFlows") or [],
            PreventUserExistenceErrors=inputs.get("preventUserExistenceErrors") or "LEGACY",
            ReadAttributes=inputs.get("readAttributes") or [], WriteAttributes=inputs.get("writeAttributes") or [],
        )["UserPoolClient"]
        return {"__id__": made["ClientId"]}

    def _UserGroup(self, name: str, inputs: dict, outputs: dict) -> dict:
        pool_id = self.replaced_ids.get(inputs["userPoolId"], inputs["userPoolId"])
        cognito = self.client("cognito-idp")
        try:
            cognito.create_group(UserPoolId=pool_id, GroupName=inputs["name"], Description=inputs.get("description", ""))
        except cognito.exceptions.GroupExistsException:
            pass
        return {"__id__": f"{pool_id}/{inputs['name']}"}

    def _Topic(self, name: str, inputs: dict, outputs: dict) -> dict:
        return {"arn": self.client("sns").create_topic(Name=inputs["name"])["TopicArn"]}

    def _TopicSubscription(self, name: str, inputs: dict, outputs: dict) -> dict | None:
        """A function subscribed to a topic. moto cannot invoke a function it does not run, so
        local mode subscribes its own endpoint, which runs the function in its worker
        (ops/local/topics.py): whoever publishes, the subscribers get it, as on AWS."""
        if inputs.get("protocol") != "lambda" or self.local_port is None:
            return None
        from ops.local.topics import subscriber_endpoint

        function = inputs["endpoint"].rsplit(":", 1)[-1]
        made = self.client("sns").subscribe(TopicArn=inputs["topic"], Protocol="http",
                                            Endpoint=subscriber_endpoint(self.local_port, function))
        return {"arn": made["SubscriptionArn"]}

    def _SmsPreferences(self, name: str, inputs: dict, outputs: dict) -> None:
        """The account's SMS settings (spend limit, default type), as SNS keeps them."""
        attributes = {}
        for field, attribute in SMS_ATTRIBUTES.items():
            value = inputs.get(field)
            if value is not None and value != "":
                attributes[attribute] = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        if attributes:
            self.client("sns").set_sms_attributes(attributes=attributes)


def _site_page(resource) -> bool:
    source = resource.inputs.get("source") if resource.type == "aws:s3/bucketObjectv2:BucketObjectv2" else None
    if source is None or not hasattr(source, "path"):
        return False
    path = Path(source.path)
    return (path.relative_to(ROOT) if path.is_absolute() and path.is_relative_to(ROOT) else path).parts[:1] == ("site",)


def replay(graph, client: ClientFactory | None = None, *, site_pages: bool = True) -> Materializer:
    """Create a recorded graph's resources (tests: inside moto's mock, no Pulumi run).

    Distributions get moto's ids; `replaced_ids` maps the graph's ids to them, for the
    environments that mention them. `site_pages=False` leaves out the pages the program uploads
    from site/ (a third of the time of a replay), which only the front door ever reads.
    """
    materializer = Materializer(client)
    for resource in graph.resources:
        if not site_pages and _site_page(resource):
            continue
        if resource.custom:
            made = materializer(resource.type, resource.name, resource.inputs, resource.outputs) or {}
            if "__id__" in made:
                materializer.replaced_ids[resource.id] = made["__id__"]
    return materializer
